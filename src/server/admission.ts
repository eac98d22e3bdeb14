import { admitsAnother, remainingRequests, tokensPerSecAt, type EngineCapacity } from '../engine/engine-capacity.js';
import { TtsError } from '../protocol/errors.js';

/** How long a request waits by default when the engine's real-time capacity, not max-active, holds it back. */
export const DEFAULT_CAPACITY_WAIT_MS = 2000;

/** What a worker's admission is built from. */
export interface AdmissionOptions {
  /** Most requests generating at once. */
  maxActive: number;
  /** Most requests waiting; more are refused with SERVER_BUSY. */
  maxQueued: number;
  /** The engine's throughput estimate, read at each decision; absent or undefined: slots by maxActive alone. */
  capacity?: () => EngineCapacity | undefined;
  /** Longest wait (ms) of a request the estimate holds back before SERVER_BUSY; 0 refuses at once. */
  capacityWaitMs?: number;
}

/**
 * Limits how many requests generate at once; the rest wait in a bounded FIFO queue. A request whose client stops
 * reading gives its slot back while it waits (see run-synthesis.ts), so clients that never read cannot hold every slot.
 * With an engine estimate, a request starts only while every running one stays at the engine's minimum rate (real
 * time): one that would push them below waits at most `capacityWaitMs`, then is refused (SERVER_BUSY, retryable).
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
  /** More requests that could start now, each running one staying at the engine's minimum rate; null: no estimate. */
  readonly remaining: number | null;
  /** The estimate `remaining` came from, and each request's expected tokens/s with one more. */
  readonly estimate: { capacity: EngineCapacity; nextRequestTokensPerSec: number | null } | undefined;
  /** Starts waiting requests that a raised estimate now lets in; call it when the estimate changes. */
  recheck(): void;
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
export function createAdmission(options: AdmissionOptions): Admission {
  let active = 0;
  let paused = 0;
  const waiting: Waiter[] = [];
  const capacityWaitMs = options.capacityWaitMs ?? DEFAULT_CAPACITY_WAIT_MS;
  // Rates apply only while the engine enforces them; a resumed request was admitted before and only needs a slot.
  const enforced = (): EngineCapacity | undefined => {
    const capacity = options.capacity?.();
    return capacity && capacity.minTokensPerSec > 0 ? capacity : undefined;
  };
  const fitsRate = () => {
    const capacity = enforced();
    return capacity === undefined || admitsAnother(capacity, active);
  };
  const canStart = (resuming: boolean) => active < options.maxActive && (resuming || fitsRate());

  const grantWaiting = () => {
    while (waiting.length > 0 && canStart(waiting[0]!.resuming)) waiting.shift()!.grant();
  };
  const release = () => {
    active -= 1;
    grantWaiting();
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
    get remaining() {
      const capacity = enforced();
      return capacity === undefined ? null : remainingRequests(capacity, active + waiting.length, options.maxActive);
    },
    get estimate() {
      const capacity = options.capacity?.();
      return capacity && { capacity, nextRequestTokensPerSec: tokensPerSecAt(capacity, active + 1) ?? null };
    },
    recheck: grantWaiting,
    markPaused() {
      paused += 1;
      return once(() => {
        paused -= 1;
      });
    },
    acquire(signal, { resuming = false } = {}) {
      if (signal.aborted) return Promise.reject(new TtsError('INTERNAL', 'request ended before it started'));
      grantWaiting();
      if ((waiting.length === 0 || resuming) && canStart(resuming)) {
        active += 1;
        return Promise.resolve(once(release));
      }
      if (!resuming && waiting.length >= options.maxQueued) {
        return Promise.reject(new TtsError('SERVER_BUSY', `worker is at capacity (${options.maxQueued} requests waiting)`));
      }
      // Held back by the rate alone (a slot is free): wait briefly for a running request to end, then refuse.
      const byRate = !resuming && active < options.maxActive;
      if (byRate && capacityWaitMs === 0) return Promise.reject(busyByRate(enforced(), active));
      return new Promise((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const leave = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          const index = waiting.indexOf(entry);
          if (index >= 0) waiting.splice(index, 1);
        };
        const entry: Waiter = {
          resuming,
          grant: () => {
            leave();
            active += 1;
            resolve(once(release));
          },
        };
        const onAbort = () => {
          leave();
          reject(new TtsError('INTERNAL', 'request ended while waiting'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        if (byRate) {
          timer = setTimeout(() => {
            leave();
            reject(busyByRate(enforced(), active));
            // The head may have been what held the others back.
            grantWaiting();
          }, capacityWaitMs);
        }
        if (resuming) waiting.unshift(entry);
        else waiting.push(entry);
      });
    },
  };
}

interface Waiter {
  resuming: boolean;
  grant: () => void;
}

function busyByRate(capacity: EngineCapacity | undefined, active: number): TtsError {
  const rate = capacity && tokensPerSecAt(capacity, active + 1);
  const expected = rate === undefined ? '' : `: with ${active + 1} requests each would get ${rate.toFixed(1)} tokens/s, below ${capacity!.minTokensPerSec}`;
  return new TtsError('SERVER_BUSY', `worker is at its real-time capacity${expected}`);
}
