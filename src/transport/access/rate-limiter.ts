/** Per-client limits; 0 turns a limit off. */
export interface RateLimits {
  /** WebSocket sessions one client may hold open at once. */
  sessionsPerClient: number;
  /** Synthesis requests (WebSocket starts and HTTP calls) per client per minute. */
  requestsPerMinute: number;
  /** Characters of text per client per minute. */
  charsPerMinute: number;
}

/** Disables every limit. */
export const NO_RATE_LIMITS: RateLimits = { sessionsPerClient: 0, requestsPerMinute: 0, charsPerMinute: 0 };

/** Counts per client (an API key's label, or an address) and answers how long to wait when one is over its limit. */
export interface RateLimiter {
  /** Takes a session slot; answers undefined, or the wait in ms before one may free up. */
  openSession(client: string): number | undefined;
  closeSession(client: string): void;
  /** Takes one request of `chars` characters; answers undefined, or the wait in ms until it would fit. Takes nothing when refused. */
  takeRequest(client: string, chars: number): number | undefined;
}

const MINUTE_MS = 60_000;
/** The wait suggested when a session slot is full: sessions end when their client ends them, so this is only a hint. */
const SESSION_RETRY_MS = 1000;
/** Past this many clients tracked, those with full buckets and no sessions are forgotten. */
const PRUNE_ABOVE_CLIENTS = 10_000;

interface ClientState {
  sessions: number;
  requests: number;
  chars: number;
  updatedMs: number;
}

/** Token buckets per client that refill continuously, a minute's allowance at most. `nowMs` is for tests. */
export function createRateLimiter(limits: RateLimits, nowMs: () => number = Date.now): RateLimiter {
  const clients = new Map<string, ClientState>();
  const refill = (state: ClientState) => {
    const now = nowMs();
    const elapsed = now - state.updatedMs;
    state.updatedMs = now;
    state.requests = Math.min(limits.requestsPerMinute, state.requests + (elapsed * limits.requestsPerMinute) / MINUTE_MS);
    state.chars = Math.min(limits.charsPerMinute, state.chars + (elapsed * limits.charsPerMinute) / MINUTE_MS);
  };
  const stateOf = (client: string): ClientState => {
    let state = clients.get(client);
    if (!state) {
      if (clients.size >= PRUNE_ABOVE_CLIENTS) prune();
      state = { sessions: 0, requests: limits.requestsPerMinute, chars: limits.charsPerMinute, updatedMs: nowMs() };
      clients.set(client, state);
    }
    refill(state);
    return state;
  };
  const prune = () => {
    for (const [client, state] of clients) {
      refill(state);
      if (state.sessions === 0 && state.requests >= limits.requestsPerMinute && state.chars >= limits.charsPerMinute) clients.delete(client);
    }
  };
  const waitFor = (missing: number, perMinute: number) => Math.max(1, Math.ceil((missing * MINUTE_MS) / perMinute));
  return {
    openSession(client) {
      if (limits.sessionsPerClient === 0) return undefined;
      const state = stateOf(client);
      if (state.sessions >= limits.sessionsPerClient) return SESSION_RETRY_MS;
      state.sessions += 1;
      return undefined;
    },
    closeSession(client) {
      if (limits.sessionsPerClient === 0) return;
      const state = clients.get(client);
      if (state && state.sessions > 0) state.sessions -= 1;
    },
    takeRequest(client, chars) {
      if (limits.requestsPerMinute === 0 && limits.charsPerMinute === 0) return undefined;
      const state = stateOf(client);
      const requestWait = limits.requestsPerMinute > 0 && state.requests < 1 ? waitFor(1 - state.requests, limits.requestsPerMinute) : 0;
      const charWait = limits.charsPerMinute > 0 && state.chars < chars ? waitFor(chars - state.chars, limits.charsPerMinute) : 0;
      if (requestWait > 0 || charWait > 0) return Math.max(requestWait, charWait);
      if (limits.requestsPerMinute > 0) state.requests -= 1;
      if (limits.charsPerMinute > 0) state.chars -= chars;
      return undefined;
    },
  };
}
