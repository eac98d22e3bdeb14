import { TtsError } from '../protocol/errors.js';

/** Limits how many requests generate at once; the rest wait in a bounded FIFO queue. */
export interface Admission {
  /** Waits for a generation slot; returns its release function. Throws SERVER_BUSY when the queue is full. */
  acquire(signal: AbortSignal): Promise<() => void>;
  readonly active: number;
  readonly queued: number;
  readonly maxActive: number;
}

/** Creates the slot queue shared by every connection of a worker. */
export function createAdmission(options: { maxActive: number; maxQueued: number }): Admission {
  let active = 0;
  const waiting: Array<{ grant: () => void }> = [];

  const release = () => {
    active -= 1;
    const next = waiting.shift();
    if (next) next.grant();
  };
  const once = (fn: () => void) => {
    let done = false;
    return () => {
      if (!done) {
        done = true;
        fn();
      }
    };
  };

  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
    maxActive: options.maxActive,
    acquire(signal) {
      if (signal.aborted) return Promise.reject(new TtsError('INTERNAL', 'request ended before it started'));
      if (active < options.maxActive) {
        active += 1;
        return Promise.resolve(once(release));
      }
      if (waiting.length >= options.maxQueued) {
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
        waiting.push(entry);
      });
    },
  };
}
