// What an engine that batches requests can still take on, as plain data that crosses from the engine thread to the
// server: each request's own token rate at each batch size, learned from its decode runs. The server decides
// admission from it with its own count of running requests, which is never behind the engine thread's.

/** Speech tokens per second of audio: a request generating slower than this falls behind its own playback. */
export const REAL_TIME_TOKENS_PER_SEC = 25;

/** An engine's throughput estimate (batching engines only). */
export interface EngineCapacity {
  /** Speech tokens/s every running request must keep for another to start; 0: admission by rate is off. */
  minTokensPerSec: number;
  /** Each request's tokens/s by the number of requests sharing a run, as [requests, tokens/s], ascending. */
  tokensPerSecByBatch: Array<[number, number]>;
}

/**
 * Each request's expected tokens/s with `requests` sharing runs: learned, or, from the largest smaller size learned,
 * assuming the total stays flat (pessimistic: batching usually raises it). Undefined when nothing is known yet.
 */
export function tokensPerSecAt(capacity: EngineCapacity, requests: number): number | undefined {
  let below: [number, number] | undefined;
  for (const entry of capacity.tokensPerSecByBatch) {
    if (entry[0] === requests) return entry[1];
    if (entry[0] < requests && (below === undefined || entry[0] > below[0])) below = entry;
  }
  return below === undefined ? undefined : (below[1] * below[0]) / requests;
}

/** Whether one more request keeps every request at the minimum rate (always when idle, off, or nothing is known). */
export function admitsAnother(capacity: EngineCapacity, running: number): boolean {
  if (capacity.minTokensPerSec === 0 || running === 0) return true;
  const rate = tokensPerSecAt(capacity, running + 1);
  return rate === undefined || rate >= capacity.minTokensPerSec;
}

/** How many more requests would still be admitted, one after another (capped at `limit` requests in all). */
export function remainingRequests(capacity: EngineCapacity, running: number, limit: number): number {
  let extra = 0;
  while (running + extra < limit && admitsAnother(capacity, running + extra)) extra += 1;
  return extra;
}
