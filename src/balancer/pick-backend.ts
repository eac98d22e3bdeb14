/** What the picker needs to know of one backend. */
export interface BackendLoad {
  /** Only 'up' backends take new sessions; 'loading', 'draining' and 'down' ones are skipped. */
  state: 'up' | 'loading' | 'draining' | 'down';
  /** From the worker's last /health: requests generating and waiting, and its generation slots. */
  activeRequests: number;
  queuedRequests: number;
  capacity: number;
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
 * Index of the up backend with the lowest load score and room under its session cap (open and opening); ties go to
 * fewer open sessions, then the lower index. Undefined when none can take a session. Skips `exclude`.
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
    const delta = loadScore(backend) - loadScore(current);
    if (delta < 0 || (delta === 0 && backend.sessions < current.sessions)) best = i;
  }
  return best;
}
