import { TtsError } from '../protocol/errors.js';

/**
 * Limits how many requests generate at once; the rest wait in a bounded FIFO queue. A request whose client stops
 * reading gives its slot back while it waits (see run-synthesis.ts), so clients that never read cannot hold every slot.
 */
export interface Admission {
  /**
   * Waits for a generation slot; returns its release function. Throws SERVER_BUSY when the queue is full. A request
   * `resuming` after a pause was admitted before: it waits at the head of the queue and is never refused.
   */
  acquire(signal: AbortSignal, options?: { resuming?: boolean }): Promise<() => void>;
  /** Counts a request waiting for its client to read (holding no slot); returns the function that stops counting it. */
  markPaused(): () => void;
  readonly active: number;
  readonly queued: number;
  /** Requests in flight that hold no slot because their client is not reading. */
  readonly paused: number;
  readonly maxActive: number;
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}

/** Creates the slot queue shared by every connection of a worker. */
export function createAdmission(options: { maxActive: number; maxQueued: number }): Admission {
  let active = 0;
  let paused = 0;
  const waiting: Array<{ grant: () => void }> = [];

  const release = () => {
    active -= 1;
    const next = waiting.shift();
    if (next) next.grant();
  };

  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
    get paused() {
      return paused;
    },
    maxActive: options.maxActive,
    markPaused() {
      paused += 1;
      return once(() => {
        paused -= 1;
      });
    },
    acquire(signal, { resuming = false } = {}) {
      if (signal.aborted) return Promise.reject(new TtsError('INTERNAL', 'request ended before it started'));
      if (active < options.maxActive) {
        active += 1;
        return Promise.resolve(once(release));
      }
      if (!resuming && waiting.length >= options.maxQueued) {
        return Promise.reject(new TtsError('SERVER_BUSY', `worker is at capacity (${options.maxQueued} requests waiting)`));
      }
      return new Promise((resolve, reject) => {
        const entry = {
          grant: () => {
            signal.removeEventListener('abort', onAbort);
            active += 1;
            resolve(once(release));
          },
        };
        const onAbort = () => {
          const index = waiting.indexOf(entry);
          if (index >= 0) waiting.splice(index, 1);
          reject(new TtsError('INTERNAL', 'request ended while waiting'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        if (resuming) waiting.unshift(entry);
        else waiting.push(entry);
      });
    },
  };
}
