import type { Logger } from './logger.js';

/** One kind of event logged at most once per interval; see `throttleLog`. */
export interface LogThrottle {
  /** One event, keyed by its error code. */
  note(code: string, fields?: Record<string, unknown>): void;
  /** Writes what is still counted and stops the timer (the connection closed). */
  stop(): void;
}

/**
 * Logs the first event of a burst at once and the rest as one line per `intervalMs` with their `count` and the
 * count by code, so a client sending millions of bad frames costs a line a second, not a line a frame (issue 11).
 * The counts of all lines add up to the events noted.
 */
export function throttleLog(logger: Logger, message: string, intervalMs = 1000): LogThrottle {
  let timer: NodeJS.Timeout | undefined;
  let counts = new Map<string, number>();
  let last: Record<string, unknown> = {};

  const flush = (): boolean => {
    if (counts.size === 0) return false;
    const codes = Object.fromEntries(counts);
    const count = [...counts.values()].reduce((a, b) => a + b, 0);
    logger.warn({ ...last, count, codes }, message);
    counts = new Map();
    return true;
  };
  const tick = () => {
    // Nothing more came during the interval: the next event is logged at once again.
    timer = flush() ? setTimeout(tick, intervalMs).unref() : undefined;
  };

  return {
    note(code, fields = {}) {
      last = { code, ...fields };
      counts.set(code, (counts.get(code) ?? 0) + 1);
      if (timer) return;
      flush();
      timer = setTimeout(tick, intervalMs).unref();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
      flush();
    },
  };
}
