import { basename, isAbsolute } from 'node:path';
import type { HostedEngine } from '../engine/host/engine-host.js';
import { VERSION } from '../version.js';
import type { Admission } from './admission.js';

/** The worker's `/health` body. */
export interface WorkerHealth {
  status: 'ok' | 'loading' | 'draining' | 'closed';
  engine: string;
  device: string;
  details: Record<string, string>;
  voices: string[];
  gpu: number;
  sessions: number;
  activeRequests: number;
  queuedRequests: number;
  /** Requests waiting for their client to read; they hold no slot. */
  pausedRequests: number;
  /** Generation slots; activeRequests never exceeds it. */
  capacity: number;
  /**
   * More requests that could start now with every running one staying at the engine's minimum rate (real time); null
   * when there is no such estimate (an engine that does not batch, no decode run measured yet, or admission by rate off).
   */
  remainingCapacity: number | null;
  /** What remainingCapacity came from: the rate bar, each request's learned tokens/s by batch size, and with one more. */
  capacityEstimate: {
    minTokensPerSec: number;
    nextRequestTokensPerSec: number | null;
    tokensPerSecByBatch: Record<string, number>;
  } | null;
  /** (active + queued) / capacity: 0 idle, 1 every slot busy, above 1 requests are waiting. */
  loadScore: number;
  uptimeSec: number;
  version: string;
  /** Only for callers that presented a valid API key. */
  pid?: number;
  /** The HTTP and WebSocket adapter: 'uws' or 'node'. */
  transport: string;
}

/** Builds the health report from live state; cheap enough to answer in microseconds. */
export function describeHealth(state: {
  engine: HostedEngine;
  admission: Admission;
  sessions: number;
  draining: boolean;
  gpu: number;
  startedAtMs: number;
  transport: string;
  /** The whole report (pid, model path): only for callers with a valid API key. */
  full: boolean;
}): WorkerHealth {
  const { engine, admission } = state;
  const status = state.draining ? 'draining' : engine.state === 'ready' ? 'ok' : engine.state;
  const info = engine.state === 'ready' ? engine.info : undefined;
  return {
    status,
    engine: info?.name ?? 'unknown',
    device: info?.device ?? 'unknown',
    details: state.full ? (info?.details ?? {}) : redactPaths(info?.details ?? {}),
    voices: info?.voices ?? [],
    gpu: state.gpu,
    sessions: state.sessions,
    activeRequests: admission.active,
    queuedRequests: admission.queued,
    pausedRequests: admission.paused,
    capacity: admission.maxActive,
    remainingCapacity: admission.remaining,
    capacityEstimate: describeEstimate(admission.estimate),
    loadScore: Math.round(((admission.active + admission.queued) / admission.maxActive) * 1000) / 1000,
    uptimeSec: Math.round((Date.now() - state.startedAtMs) / 1000),
    version: VERSION,
    ...(state.full ? { pid: process.pid } : {}),
    transport: state.transport,
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function describeEstimate(estimate: Admission['estimate']): WorkerHealth['capacityEstimate'] {
  if (!estimate) return null;
  return {
    minTokensPerSec: estimate.capacity.minTokensPerSec,
    nextRequestTokensPerSec: estimate.nextRequestTokensPerSec === null ? null : round1(estimate.nextRequestTokensPerSec),
    tokensPerSecByBatch: Object.fromEntries(estimate.capacity.tokensPerSecByBatch.map(([requests, rate]) => [String(requests), round1(rate)])),
  };
}

/** Details with absolute paths cut to their last part, so an anonymous caller learns no directory layout. */
function redactPaths(details: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(details).map(([name, value]) => [name, isAbsolute(value) ? basename(value) : value]));
}
