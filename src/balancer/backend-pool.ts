import type { Logger } from '../logging/logger.js';
import { BackendRecord, isClientFault, type Backend, type HealthReport } from './backend-record.js';
import { createProbeAgents, probeHealth } from './health-probe.js';
import { pickBackend } from './pick-backend.js';

export type { Backend } from './backend-record.js';

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

/** Balancer-wide counts that belong to no one backend. */
export interface PoolTotals {
  /** Sessions or requests refused because no worker could take them. */
  noBackend: number;
  /** Requests replayed on another worker before their first audio. */
  replayedRequests: number;
}

/**
 * The balancer's workers and the one owner of their state and counters: active /health polling with rise/fall
 * counts, passive reports from relays and the proxy, and every counter /lb-stats and /metrics show. Each change
 * goes through a method here and is logged (state changes at info, counters at debug, relayed frames at trace).
 */
export interface BackendPool {
  readonly backends: readonly Backend[];
  readonly totals: Readonly<PoolTotals>;
  /** The least-loaded backend that can take a request now (counted as pinned), or undefined. */
  pick(exclude?: ReadonlySet<number>): Backend | undefined;
  /** Like pick, and reserves a session under the backend's cap until `opened` or `openAbandoned` settles it. */
  reserveSession(exclude?: ReadonlySet<number>): Backend | undefined;
  /** A reserved session got its worker link. */
  opened(backend: Backend): void;
  /** A reserved session did not get a link (refused, unreachable, client gone). */
  openAbandoned(backend: Backend): void;
  /** A session's worker link closed. */
  linkClosed(backend: Backend): void;
  requestStarted(backend: Backend): void;
  /** A worker frame of `bytes` went to a client. */
  relayed(backend: Backend, bytes: number): void;
  /** An error frame a worker sent, or one the balancer ended a request with on its behalf (BACKEND_LOST). */
  countError(backend: Backend, code: string): void;
  /** A session left a lost or stalled worker, replaying `replayedRequests` requests elsewhere. */
  failover(backend: Backend, replayedRequests: number): void;
  /** A session or request found no worker. */
  noBackend(): void;
  /** The worker said it is draining (refused a session or a request): no new sessions until /health says otherwise. */
  markDraining(backend: Backend, why: string): void;
  /** Proof the worker is unreachable (connection refused, no ready in time): out at once, until `rise` checks pass. */
  reportFailure(backend: Backend, message: string): void;
  /**
   * A hint, not proof (a dropped link, a stalled request): checks the worker's /health now, and takes it out
   * only when that check fails. A healthy worker stays in rotation.
   */
  suspect(backend: Backend, message: string): void;
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
    remainingCapacity: typeof r.remainingCapacity === 'number' && Number.isFinite(r.remainingCapacity) ? Math.max(0, r.remainingCapacity) : null,
    sessions: num(r.sessions),
    ...(typeof r.engine === 'string' ? { engine: r.engine } : {}),
  };
}

/** Creates the pool and starts polling; call `checkAll()` once and await it to know the first states. */
export function createBackendPool(options: BackendPoolOptions, logger: Logger): BackendPool {
  const records = options.urls.map((url, i) => new BackendRecord(i, url, options.maxSessionsPerBackend));
  const totals: PoolTotals = { noBackend: 0, replayedRequests: 0 };
  const agents = createProbeAgents();
  // Callers hold the read-only view; the index leads back to the record, so no caller can write a field.
  const own = (backend: Backend): BackendRecord => records[backend.index]!;

  const setState = (backend: BackendRecord, state: Backend['state'], why: string) => {
    if (backend.state === state) return;
    logger.info({ backend: backend.url, from: backend.state, to: state, why }, 'backend state changed');
    backend.state = state;
  };
  const noteError = (backend: BackendRecord, message: string) => {
    backend.lastError = { message, at: new Date().toISOString() };
  };

  const checkOne = async (backend: BackendRecord): Promise<void> => {
    const t0 = performance.now();
    let report: HealthReport | undefined;
    let failure: string | undefined;
    try {
      const answer = await probeHealth(`${backend.httpUrl}/health`, options.healthTimeoutMs, agents);
      report = parseReport(answer.body);
      if (!report) failure = `unreadable /health (HTTP ${answer.status})`;
    } catch (err) {
      failure = (err as Error).message;
    }
    backend.healthLatencyMs = Math.round((performance.now() - t0) * 10) / 10;
    const first = !backend.checked;
    backend.checked = true;
    if (failure || !report) {
      backend.goodChecks = 0;
      backend.badChecks += 1;
      noteError(backend, failure ?? 'no report');
      if (first || backend.badChecks >= options.fall) setState(backend, 'down', failure ?? 'no report');
      return;
    }
    backend.badChecks = 0;
    backend.goodChecks += 1;
    backend.report = report;
    backend.activeRequests = report.activeRequests;
    backend.queuedRequests = report.queuedRequests;
    backend.capacity = report.capacity;
    backend.remainingCapacity = report.remainingCapacity;
    backend.pinnedSinceReport = 0;
    const reported: Backend['state'] = report.status === 'ok' ? 'up' : report.status === 'draining' ? 'draining' : 'loading';
    // A down backend must pass `rise` checks in a row before it is trusted again; other changes apply at once.
    if (backend.state === 'down' && !first && backend.goodChecks < options.rise) return;
    setState(backend, reported, `worker reports ${report.status}`);
  };

  // With a timeout longer than the interval, overlapping checks of one slow worker would count one outage as
  // several failures in a row, and an old answer could land after a newer one: join the check in flight instead.
  const checkOnce = (backend: BackendRecord): Promise<void> =>
    (backend.checking ??= checkOne(backend).finally(() => {
      backend.checking = undefined;
    }));
  const checkAll = () => Promise.all(records.map(checkOnce)).then(() => undefined);
  const timer = setInterval(() => void checkAll(), options.healthIntervalMs);
  timer.unref();

  const pick = (exclude?: ReadonlySet<number>): BackendRecord | undefined => {
    const index = pickBackend(records, exclude);
    if (index === undefined) return undefined;
    const backend = records[index]!;
    backend.pinnedSinceReport += 1;
    return backend;
  };

  return {
    backends: records,
    totals,
    pick,
    reserveSession(exclude) {
      const backend = pick(exclude);
      if (backend) backend.opening += 1;
      return backend;
    },
    opened(view) {
      const backend = own(view);
      backend.opening -= 1;
      backend.sessions += 1;
      logger.debug({ backend: backend.url, sessions: backend.sessions }, 'session link opened');
    },
    openAbandoned(view) {
      const backend = own(view);
      backend.opening -= 1;
      logger.debug({ backend: backend.url, opening: backend.opening }, 'session link not opened');
    },
    linkClosed(view) {
      const backend = own(view);
      backend.sessions -= 1;
      logger.debug({ backend: backend.url, sessions: backend.sessions }, 'session link closed');
    },
    requestStarted(view) {
      const backend = own(view);
      backend.requests += 1;
      logger.debug({ backend: backend.url, requests: backend.requests }, 'request sent');
    },
    relayed(view, bytes) {
      const backend = own(view);
      backend.framesRelayed += 1;
      backend.bytesRelayed += bytes;
      logger.trace({ backend: backend.url, bytes }, 'frame relayed');
    },
    countError(view, code) {
      const backend = own(view);
      const table = isClientFault(code) ? backend.clientErrorsByCode : backend.errorsByCode;
      table[code] = (table[code] ?? 0) + 1;
      logger.debug({ backend: backend.url, code, clientFault: table === backend.clientErrorsByCode }, 'request error counted');
    },
    failover(view, replayedRequests) {
      const backend = own(view);
      backend.failovers += 1;
      totals.replayedRequests += replayedRequests;
      logger.debug({ backend: backend.url, failovers: backend.failovers, replayedRequests }, 'failover counted');
    },
    noBackend() {
      totals.noBackend += 1;
      logger.debug({ noBackend: totals.noBackend }, 'no backend could take it');
    },
    markDraining(view, why) {
      setState(own(view), 'draining', why);
    },
    reportFailure(view, message) {
      const backend = own(view);
      noteError(backend, message);
      backend.goodChecks = 0;
      backend.badChecks = options.fall;
      setState(backend, 'down', message);
    },
    suspect(view, message) {
      const backend = own(view);
      noteError(backend, message);
      logger.info({ backend: backend.url, why: message }, 'backend suspected; checking its health now');
      void checkOnce(backend).then(() => {
        // The hint and a failed check together are proof enough: no need to wait for `fall` checks.
        if (backend.badChecks > 0) setState(backend, 'down', `${message}, then ${backend.lastError?.message ?? 'a failed check'}`);
      });
    },
    checkAll,
    get healthy() {
      return records.filter((b) => b.state === 'up').length;
    },
    stop() {
      clearInterval(timer);
      agents.destroy();
    },
  };
}
