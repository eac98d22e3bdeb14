import type { Logger } from '../logging/logger.js';
import { loadScore, pickBackend, type BackendLoad } from './pick-backend.js';

/** How the pool watches its workers. */
export interface BackendPoolOptions {
  /** Worker WebSocket base URLs, e.g. ws://10.0.0.5:6093. */
  urls: string[];
  healthIntervalMs: number;
  healthTimeoutMs: number;
  /** Consecutive good checks before a down worker is used again. */
  rise: number;
  /** Consecutive failed checks before an up worker is taken out. */
  fall: number;
  maxSessionsPerBackend: number;
}

/** What the worker said in its last /health that the balancer uses. */
interface HealthReport {
  status: string;
  activeRequests: number;
  queuedRequests: number;
  capacity: number;
  sessions: number;
  engine?: string;
}

/** One worker as the balancer tracks it; the counters feed /lb-stats. */
export class Backend implements BackendLoad {
  state: BackendLoad['state'] = 'down';
  activeRequests = 0;
  queuedRequests = 0;
  capacity = 1;
  pinnedSinceReport = 0;
  sessions = 0;
  requests = 0;
  failovers = 0;
  framesRelayed = 0;
  bytesRelayed = 0;
  healthLatencyMs: number | undefined;
  lastError: { message: string; at: string } | undefined;
  readonly errorsByCode: Record<string, number> = {};
  report: HealthReport | undefined;
  goodChecks = 0;
  badChecks = 0;
  checked = false;
  /** The health check in flight, if any: a slow worker is never checked twice at once. */
  checking: Promise<void> | undefined;
  readonly httpUrl: string;

  constructor(
    readonly index: number,
    readonly url: string,
    readonly maxSessions: number,
  ) {
    const http = new URL(url);
    http.protocol = http.protocol === 'wss:' ? 'https:' : 'http:';
    http.pathname = '/';
    this.httpUrl = http.href.replace(/\/$/, '');
  }

  get loadScore(): number {
    return loadScore(this);
  }

  countError(code: string): void {
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
  }
}

/** The balancer's workers: active /health polling with rise/fall counts plus passive failure reports. */
export interface BackendPool {
  readonly backends: readonly Backend[];
  /** The least-loaded backend that can take a session now (counted as pinned), or undefined. */
  pick(exclude?: ReadonlySet<number>): Backend | undefined;
  /** A relay saw this backend fail (connection refused or dropped): take it out until checks pass again. */
  reportFailure(backend: Backend, message: string): void;
  /** Runs one round of health checks now (also how the pool starts). */
  checkAll(): Promise<void>;
  readonly healthy: number;
  stop(): void;
}

function parseReport(body: unknown): HealthReport | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const r = body as Record<string, unknown>;
  if (typeof r.status !== 'string') return undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    status: r.status,
    activeRequests: num(r.activeRequests),
    queuedRequests: num(r.queuedRequests),
    capacity: Math.max(1, num(r.capacity)),
    sessions: num(r.sessions),
    ...(typeof r.engine === 'string' ? { engine: r.engine } : {}),
  };
}

/** Creates the pool and starts polling; call `checkAll()` once and await it to know the first states. */
export function createBackendPool(options: BackendPoolOptions, logger: Logger): BackendPool {
  const backends = options.urls.map((url, i) => new Backend(i, url, options.maxSessionsPerBackend));

  const setState = (backend: Backend, state: Backend['state'], why: string) => {
    if (backend.state === state) return;
    logger.info({ backend: backend.url, from: backend.state, to: state, why }, 'backend state changed');
    backend.state = state;
  };

  const checkOne = async (backend: Backend): Promise<void> => {
    const t0 = performance.now();
    let report: HealthReport | undefined;
    let failure: string | undefined;
    try {
      const response = await fetch(`${backend.httpUrl}/health`, { signal: AbortSignal.timeout(options.healthTimeoutMs) });
      report = parseReport(await response.json());
      if (!report) failure = `unreadable /health (HTTP ${response.status})`;
    } catch (err) {
      failure = (err as Error).name === 'TimeoutError' ? `/health timed out after ${options.healthTimeoutMs} ms` : `/health failed: ${(err as Error).message}`;
    }
    backend.healthLatencyMs = Math.round((performance.now() - t0) * 10) / 10;
    const first = !backend.checked;
    backend.checked = true;
    if (failure || !report) {
      backend.goodChecks = 0;
      backend.badChecks += 1;
      backend.lastError = { message: failure ?? 'no report', at: new Date().toISOString() };
      if (first || backend.badChecks >= options.fall) setState(backend, 'down', failure ?? 'no report');
      return;
    }
    backend.badChecks = 0;
    backend.goodChecks += 1;
    backend.report = report;
    backend.activeRequests = report.activeRequests;
    backend.queuedRequests = report.queuedRequests;
    backend.capacity = report.capacity;
    backend.pinnedSinceReport = 0;
    const reported: Backend['state'] = report.status === 'ok' ? 'up' : report.status === 'draining' ? 'draining' : 'loading';
    // A down backend must pass `rise` checks in a row before it is trusted again; other changes apply at once.
    if (backend.state === 'down' && !first && backend.goodChecks < options.rise) return;
    setState(backend, reported, `worker reports ${report.status}`);
  };

  // With a timeout longer than the interval, overlapping checks of one slow worker would count one outage as
  // several failures in a row, and an old answer could land after a newer one: join the check in flight instead.
  const checkOnce = (backend: Backend): Promise<void> =>
    (backend.checking ??= checkOne(backend).finally(() => {
      backend.checking = undefined;
    }));
  const checkAll = () => Promise.all(backends.map(checkOnce)).then(() => undefined);
  const timer = setInterval(() => void checkAll(), options.healthIntervalMs);
  timer.unref();

  return {
    backends,
    pick(exclude) {
      const index = pickBackend(backends, exclude);
      if (index === undefined) return undefined;
      const backend = backends[index]!;
      backend.pinnedSinceReport += 1;
      return backend;
    },
    reportFailure(backend, message) {
      backend.lastError = { message, at: new Date().toISOString() };
      backend.goodChecks = 0;
      backend.badChecks = options.fall;
      setState(backend, 'down', message);
    },
    checkAll,
    get healthy() {
      return backends.filter((b) => b.state === 'up').length;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
