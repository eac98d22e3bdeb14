import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../protocol/errors.js';
import type { SynthesisOutcome } from './run-synthesis.js';

/** The worker's Prometheus metrics, in a registry of its own so several servers can share a process. */
export interface WorkerMetrics {
  readonly registry: Registry;
  connectionOpened(): void;
  connectionClosed(): void;
  requestFinished(transport: 'ws' | 'http', outcome: SynthesisOutcome): void;
  requestFailed(transport: 'ws' | 'http', code: ErrorCode): void;
  /** An error about a frame or connection rather than a request. */
  protocolError(code: ErrorCode): void;
}

/** Creates the metrics; `gauges` are read at scrape time. */
export function createWorkerMetrics(gauges: { active: () => number; queued: () => number; engineRestarts: () => number }): WorkerMetrics {
  const registry = new Registry();
  // 1 ms precision: the default 10 ms would hide the few-ms stalls this metric exists to catch.
  collectDefaultMetrics({ register: registry, prefix: 'chatterbox_', eventLoopMonitoringPrecision: 1 });
  const connections = new Gauge({ name: 'chatterbox_ws_connections', help: 'Open WebSocket connections', registers: [registry] });
  new Gauge({
    name: 'chatterbox_active_requests',
    help: 'Requests generating now',
    registers: [registry],
    collect() {
      this.set(gauges.active());
    },
  });
  new Gauge({
    name: 'chatterbox_queued_requests',
    help: 'Requests waiting for a generation slot',
    registers: [registry],
    collect() {
      this.set(gauges.queued());
    },
  });
  new Gauge({
    name: 'chatterbox_engine_restarts',
    help: 'Times the engine thread died and was restarted',
    registers: [registry],
    collect() {
      this.set(gauges.engineRestarts());
    },
  });
  const requests = new Counter({
    name: 'chatterbox_requests_total',
    help: 'Finished requests by transport and outcome',
    labelNames: ['transport', 'outcome'] as const,
    registers: [registry],
  });
  const errors = new Counter({ name: 'chatterbox_errors_total', help: 'Errors sent, by code', labelNames: ['code'] as const, registers: [registry] });
  const ttfa = new Histogram({
    name: 'chatterbox_ttfa_seconds',
    help: 'Time from request to first audio',
    buckets: [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5],
    registers: [registry],
  });
  const rtf = new Histogram({
    name: 'chatterbox_rtf',
    help: 'Real-time factor (wall time / audio duration) per request',
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 4],
    registers: [registry],
  });
  const audioSeconds = new Counter({ name: 'chatterbox_audio_seconds_total', help: 'Seconds of audio produced', registers: [registry] });

  return {
    registry,
    connectionOpened: () => connections.inc(),
    connectionClosed: () => connections.dec(),
    requestFinished(transport, outcome) {
      requests.inc({ transport, outcome: outcome.cancelled ? 'cancelled' : 'done' });
      if (outcome.chunks > 0) ttfa.observe(outcome.metrics.ttfaMs / 1000);
      if (!outcome.cancelled && outcome.metrics.audioMs > 0) rtf.observe(outcome.metrics.rtf);
      audioSeconds.inc(outcome.metrics.audioMs / 1000);
    },
    requestFailed(transport, code) {
      requests.inc({ transport, outcome: 'error' });
      errors.inc({ code });
    },
    protocolError: (code) => errors.inc({ code }),
  };
}
