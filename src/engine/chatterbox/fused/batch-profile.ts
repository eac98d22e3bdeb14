// Where a batcher's wall time goes: prompt runs, decode runs by batch size, the JavaScript work between runs
// (prompt embedding, feeds, merging caches when the batch changes, splitting outputs) and the time the pump waits
// for work. Always on: a few clock reads per run of many steps. The throughput benchmark prints it.

/** One kind of run: how many, their total wall time, the tokens they drew. */
export interface RunTotals {
  runs: number;
  ms: number;
  tokens: number;
}

/** Accumulated times of one batcher, in milliseconds, as plain data. */
export interface BatchProfileSnapshot {
  /** Runs that began with prompts (prefill plus the first chunk's steps), keyed by requests in the run. */
  promptRunsBySize: Array<[number, RunTotals]>;
  /** Decode-only runs, keyed by requests in the run. */
  decodeRunsBySize: Array<[number, RunTotals]>;
  /** embed_tokens on the prompts and building the prompt feeds. */
  promptEmbedMs: number;
  /** Copying request states into one batch when its composition changed. */
  mergeMs: number;
  merges: number;
  /** Per-run feeds (sampler settings, random numbers) and splitting outputs into request states. */
  feedsMs: number;
  /** The pump waiting: for consumers to take tokens (one macrotask per run) or, idle, for work. */
  waitMs: number;
}

/** The phases a batcher times. */
export type BatchPhase = 'promptEmbed' | 'merge' | 'feeds' | 'wait';

/** Accumulates a batcher's timings; `reset` starts a new window. */
export class BatchProfile {
  private promptRuns = new Map<number, RunTotals>();
  private decodeRuns = new Map<number, RunTotals>();
  private phases: Record<BatchPhase, number> = { promptEmbed: 0, merge: 0, feeds: 0, wait: 0 };
  private merges = 0;

  /** Records one fused run over `requests` requests that drew `tokens` tokens in `ms`. */
  run(kind: 'prompt' | 'decode', requests: number, ms: number, tokens: number): void {
    const table = kind === 'prompt' ? this.promptRuns : this.decodeRuns;
    const totals = table.get(requests) ?? { runs: 0, ms: 0, tokens: 0 };
    table.set(requests, { runs: totals.runs + 1, ms: totals.ms + ms, tokens: totals.tokens + tokens });
  }

  /** Adds `ms` to a phase (a merge also counts one). */
  add(phase: BatchPhase, ms: number): void {
    this.phases[phase] += ms;
    if (phase === 'merge') this.merges += 1;
  }

  /** Runs `work`, adding its wall time to `phase`. */
  async time<T>(phase: BatchPhase, work: () => T | Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, performance.now() - started);
    }
  }

  snapshot(): BatchProfileSnapshot {
    const sorted = (table: Map<number, RunTotals>) => [...table.entries()].sort((a, b) => a[0] - b[0]);
    return {
      promptRunsBySize: sorted(this.promptRuns),
      decodeRunsBySize: sorted(this.decodeRuns),
      promptEmbedMs: this.phases.promptEmbed,
      mergeMs: this.phases.merge,
      merges: this.merges,
      feedsMs: this.phases.feeds,
      waitMs: this.phases.wait,
    };
  }

  reset(): void {
    this.promptRuns.clear();
    this.decodeRuns.clear();
    this.phases = { promptEmbed: 0, merge: 0, feeds: 0, wait: 0 };
    this.merges = 0;
  }
}
