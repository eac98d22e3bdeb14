// What a worker can still take on: each request's own token rate at each batch size, learned from the decode runs
// as they happen. A new request is admitted only while the rate every running request would then get stays at or
// above real time (25 speech tokens per second of audio).

/** Speech tokens per second of audio: a request generating slower than this falls behind its own playback. */
export const REAL_TIME_TOKENS_PER_SEC = 25;

// Weight of the newest run in the running average per batch size.
const SMOOTHING = 0.3;

/** Learns per-request token rates by batch size and decides admission from them. */
export class BatchCapacity {
  private readonly rates = new Map<number, number>();

  /** `minTokensPerSec`: the rate every running request must keep; 0 admits everything. */
  constructor(readonly minTokensPerSec: number = REAL_TIME_TOKENS_PER_SEC) {}

  /** Records a decode run: `requests` sharing it, each taking `steps` tokens, in `ms` milliseconds. */
  record(requests: number, steps: number, ms: number): void {
    if (!(ms > 0) || steps <= 0) return;
    const rate = (steps / ms) * 1000;
    const previous = this.rates.get(requests);
    this.rates.set(requests, previous === undefined ? rate : previous + SMOOTHING * (rate - previous));
  }

  /**
   * Each request's expected tokens per second with `requests` sharing runs: learned, or, from the largest smaller
   * size learned, assuming the total stays flat (pessimistic: batching usually raises it). Undefined when nothing is
   * known yet.
   */
  rateAt(requests: number): number | undefined {
    const learned = this.rates.get(requests);
    if (learned !== undefined) return learned;
    let below = 0;
    for (const size of this.rates.keys()) if (size < requests && size > below) below = size;
    return below === 0 ? undefined : (this.rates.get(below)! * below) / requests;
  }

  /** Whether one more request keeps every request at the minimum rate (always when idle or nothing is known). */
  admits(running: number): boolean {
    if (this.minTokensPerSec === 0 || running === 0) return true;
    const rate = this.rateAt(running + 1);
    return rate === undefined || rate >= this.minTokensPerSec;
  }

  /** How many more requests would still be admitted, one after another (capped at `limit`). */
  remaining(running: number, limit: number): number {
    let extra = 0;
    while (running + extra < limit && this.admits(running + extra)) extra += 1;
    return extra;
  }
}
