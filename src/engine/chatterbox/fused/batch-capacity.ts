// What a worker can still take on: each request's own token rate at each batch size, learned from the decode runs
// as they happen. A new request is admitted only while the rate every running request would then get stays at or
// above real time (25 speech tokens per second of audio). The arithmetic lives in engine-capacity.ts, shared with
// the server, which admits by the same rule from the snapshots this class hands out.
import { admitsAnother, REAL_TIME_TOKENS_PER_SEC, remainingRequests, tokensPerSecAt, type EngineCapacity } from '../../engine-capacity.js';

// Weight of the newest run in the running average per batch size.
const SMOOTHING = 0.3;

/** Learns per-request token rates by batch size and decides admission from them. */
export class BatchCapacity {
  private readonly rates = new Map<number, number>();
  private readonly listeners: Array<(capacity: EngineCapacity) => void> = [];

  /** `minTokensPerSec`: the rate every running request must keep; 0 admits everything. */
  constructor(readonly minTokensPerSec: number = REAL_TIME_TOKENS_PER_SEC) {}

  /** Records a decode run: `requests` sharing it, each taking `steps` tokens, in `ms` milliseconds; tells watchers. */
  record(requests: number, steps: number, ms: number): void {
    if (!(ms > 0) || steps <= 0) return;
    const rate = (steps / ms) * 1000;
    const previous = this.rates.get(requests);
    this.rates.set(requests, previous === undefined ? rate : previous + SMOOTHING * (rate - previous));
    if (this.listeners.length === 0) return;
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }

  /** Calls `listener` with a new snapshot after every recorded run, and at once when something is known already. */
  watch(listener: (capacity: EngineCapacity) => void): void {
    this.listeners.push(listener);
    if (this.rates.size > 0) listener(this.snapshot());
  }

  /** The estimate as plain data (what crosses to the server). */
  snapshot(): EngineCapacity {
    return { minTokensPerSec: this.minTokensPerSec, tokensPerSecByBatch: [...this.rates.entries()].sort((a, b) => a[0] - b[0]) };
  }

  /** Each request's expected tokens per second with `requests` sharing runs (see tokensPerSecAt). */
  rateAt(requests: number): number | undefined {
    return tokensPerSecAt(this.snapshot(), requests);
  }

  /** Whether one more request keeps every request at the minimum rate (always when idle or nothing is known). */
  admits(running: number): boolean {
    return admitsAnother(this.snapshot(), running);
  }

  /** How many more requests would still be admitted, one after another (capped at `limit`). */
  remaining(running: number, limit: number): number {
    return remainingRequests(this.snapshot(), running, limit);
  }
}
