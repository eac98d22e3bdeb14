/** What the picker needs to know of one backend. */
export interface BackendLoad {
  /** Only 'up' backends take new sessions; 'loading', 'draining' and 'down' ones are skipped. */
  state: 'up' | 'loading' | 'draining' | 'down';
  /** From the worker's last /health: requests generating and waiting, and its generation slots. */
  activeRequests: number;
  queuedRequests: number;
  capacity: number;
  /**
   * From the worker's last /health: how many more requests it can start with every running one staying faster than
   * real time. Null or absent: it does not report one (an engine that does not batch, nothing measured yet).
   */
  remainingCapacity?: number | null;
  /** Sessions this balancer pinned to it since that /health report (it has not counted them yet). */
  pinnedSinceReport: number;
  /** Sessions this balancer has open to it now. */
  sessions: number;
  /** Sessions this balancer is opening to it now (picked, not yet connected): they count against the cap. */
  opening?: number;
  /** Most sessions this balancer may open to it. */
  maxSessions: number;
}

/**
 * Load score of a backend: (active + queued + pinned since its last report) ÷ capacity. The worker's own
 * counts cover every balancer and direct client; the pinned term covers sessions it has not reported yet,
 * so a burst of connections spreads instead of herding onto the backend that looked idlest.
 */
export function loadScore(backend: BackendLoad): number {
  return (backend.activeRequests + backend.queuedRequests + backend.pinnedSinceReport) / Math.max(1, backend.capacity);
}

/**
 * Real-time requests a backend can still take as this balancer sees it: its reported remaining capacity less the
 * sessions pinned to it since that report (each may start a request). Undefined when it reports none.
 */
export function realTimeRoom(backend: BackendLoad): number | undefined {
  if (backend.remainingCapacity === undefined || backend.remainingCapacity === null) return undefined;
  return Math.max(0, backend.remainingCapacity - backend.pinnedSinceReport);
}

// Whether a new session there will keep up: room for it first, then backends that report no capacity, then full ones.
function keepUpRank(backend: BackendLoad): number {
  const room = realTimeRoom(backend);
  return room === undefined ? 1 : room > 0 ? 0 : 2;
}

/**
 * Index of the up backend with room under its session cap (open and opening) that best keeps up: first one with
 * real-time room left, then one that reports no capacity, then one that reports none left; within each, the lowest
 * load score, then fewer open sessions, then the lower index. Undefined when none can take a session. Skips `exclude`.
 */
export function pickBackend(backends: readonly BackendLoad[], exclude: ReadonlySet<number> = new Set()): number | undefined {
  let best: number | undefined;
  for (const [i, backend] of backends.entries()) {
    if (backend.state !== 'up' || backend.sessions + (backend.opening ?? 0) >= backend.maxSessions || exclude.has(i)) continue;
    if (best === undefined) {
      best = i;
      continue;
    }
    const current = backends[best]!;
    const rank = keepUpRank(backend) - keepUpRank(current);
    const delta = loadScore(backend) - loadScore(current);
    if (rank < 0 || (rank === 0 && (delta < 0 || (delta === 0 && backend.sessions < current.sessions)))) best = i;
  }
  return best;
}
