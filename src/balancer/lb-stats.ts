import { VERSION } from '../version.js';
import type { Backend, PoolTotals } from './backend-pool.js';
import { realTimeRoom } from './pick-backend.js';

/** `/lb-stats` body: per backend and totals. */
export interface LbStats {
  status: 'ok' | 'degraded' | 'down' | 'draining';
  uptimeSec: number;
  version: string;
  sessions: number;
  /** Bytes queued in client send buffers, all sessions together: what slow readers cost this balancer now. */
  clientBufferedBytes: number;
  healthyBackends: number;
  totalBackends: number;
  /** `errors` are the workers' own (5xx kinds); `clientErrors` those a client's request caused (4xx kinds). */
  totals: {
    requests: number;
    framesRelayed: number;
    bytesRelayed: number;
    failovers: number;
    errors: number;
    clientErrors: number;
    noBackend: number;
    replayedRequests: number;
  };
  backends: Array<{
    url: string;
    state: Backend['state'];
    sessions: number;
    loadScore: number;
    /** Real-time requests it can still take: its reported remaining capacity less sessions pinned since; null: not reported. */
    remainingCapacity: number | null;
    requests: number;
    errorsByCode: Record<string, number>;
    clientErrorsByCode: Record<string, number>;
    lastError: Backend['lastError'] | null;
    healthLatencyMs: number | null;
    framesRelayed: number;
    bytesRelayed: number;
    failovers: number;
    reported: Backend['report'] | null;
  }>;
}

/** Collects the balancer's state for /lb-stats and /health. */
export function describeStats(state: {
  backends: readonly Backend[];
  poolTotals: Readonly<PoolTotals>;
  sessions: number;
  clientBufferedBytes: number;
  draining: boolean;
  startedAtMs: number;
}): LbStats {
  const healthy = state.backends.filter((b) => b.state === 'up').length;
  const sum = (pick: (b: Backend) => number) => state.backends.reduce((n, b) => n + pick(b), 0);
  return {
    status: state.draining ? 'draining' : healthy === 0 ? 'down' : healthy < state.backends.length ? 'degraded' : 'ok',
    uptimeSec: Math.round((Date.now() - state.startedAtMs) / 1000),
    version: VERSION,
    sessions: state.sessions,
    clientBufferedBytes: state.clientBufferedBytes,
    healthyBackends: healthy,
    totalBackends: state.backends.length,
    totals: {
      requests: sum((b) => b.requests),
      framesRelayed: sum((b) => b.framesRelayed),
      bytesRelayed: sum((b) => b.bytesRelayed),
      failovers: sum((b) => b.failovers),
      errors: sum((b) => Object.values(b.errorsByCode).reduce((n, c) => n + c, 0)),
      clientErrors: sum((b) => Object.values(b.clientErrorsByCode).reduce((n, c) => n + c, 0)),
      noBackend: state.poolTotals.noBackend,
      replayedRequests: state.poolTotals.replayedRequests,
    },
    backends: state.backends.map((b) => ({
      url: b.url,
      state: b.state,
      sessions: b.sessions,
      loadScore: Math.round(b.loadScore * 1000) / 1000,
      remainingCapacity: realTimeRoom(b) ?? null,
      requests: b.requests,
      errorsByCode: { ...b.errorsByCode },
      clientErrorsByCode: { ...b.clientErrorsByCode },
      lastError: b.lastError ?? null,
      healthLatencyMs: b.healthLatencyMs ?? null,
      framesRelayed: b.framesRelayed,
      bytesRelayed: b.bytesRelayed,
      failovers: b.failovers,
      reported: b.report ?? null,
    })),
  };
}

/** A readable rendering of /lb-stats for `?format=text` and the management script. */
export function formatStatsText(stats: LbStats): string {
  const lines = [
    `balancer ${stats.status}  backends ${stats.healthyBackends}/${stats.totalBackends} healthy  sessions ${stats.sessions}  uptime ${stats.uptimeSec}s  v${stats.version}`,
    `totals: requests ${stats.totals.requests}  frames ${stats.totals.framesRelayed}  MB ${(stats.totals.bytesRelayed / 1e6).toFixed(1)}  failovers ${stats.totals.failovers}  errors ${stats.totals.errors}`,
    '',
    `${'backend'.padEnd(28)} ${'state'.padEnd(8)} ${'sess'.padStart(5)} ${'load'.padStart(6)} ${'room'.padStart(5)} ${'reqs'.padStart(7)} ${'errors'.padStart(6)} ${'hc ms'.padStart(6)} ${'MB'.padStart(8)}  last error`,
  ];
  for (const b of stats.backends) {
    const errors = Object.values(b.errorsByCode).reduce((n, c) => n + c, 0);
    lines.push(
      `${b.url.padEnd(28)} ${b.state.padEnd(8)} ${String(b.sessions).padStart(5)} ${b.loadScore.toFixed(2).padStart(6)} ${String(b.remainingCapacity ?? '-').padStart(5)} ${String(b.requests).padStart(7)} ` +
        `${String(errors).padStart(6)} ${(b.healthLatencyMs?.toFixed(1) ?? '-').padStart(6)} ${(b.bytesRelayed / 1e6).toFixed(1).padStart(8)}  ${b.lastError?.message ?? ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
