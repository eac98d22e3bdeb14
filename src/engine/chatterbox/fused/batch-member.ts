import type { GenerationRequest } from '../generation-request.js';
import type { RequestState } from './batch-state.js';

/** One request in the batcher: its decode state, the tokens its consumer has not taken yet, and how it ended. */
export class Member {
  state: RequestState | undefined;
  generated = 0;
  readonly queue: number[] = [];
  finished = false;
  left = false;
  error: unknown;
  private wake: (() => void) | undefined;
  private readonly drawn: number[] = [];

  constructor(
    readonly request: GenerationRequest,
    readonly rows: number,
    readonly signal: AbortSignal,
    readonly random: () => number,
    /** Per-request inputs, one element each (see the fused graph's inputs). */
    readonly params: { cfg: number; penalty: number; invT: number; minPOffset: number; topK: number; topP: number; exaggeration: number },
  ) {}

  get gone(): boolean {
    return this.left || this.signal.aborted || this.finished;
  }

  /**
   * Runs again once the consumer has taken every token of the last run (and is busy with it, e.g. decoding a chunk,
   * while the next run goes on): a slow reader does not make the model generate everything up front.
   */
  get wantsRun(): boolean {
    return this.queue.length === 0;
  }

  /** Steps this request may take in a run of at most `limit`. */
  stepsFor(limit: number): number {
    return Math.min(limit, this.request.maxNewTokens - this.generated);
  }

  /**
   * Writes the random numbers of the next `count` steps into row `offset` of `into`. They stay this request's next
   * numbers until `useUniforms` says a run consumed them, so a run that fails and is retried (alone, after a shared
   * run failed) draws the same numbers and a seeded request keeps its tokens.
   */
  uniforms(count: number, width: number, into: Float64Array, offset: number): void {
    if (this.request.sampler.temperature === 0) return;
    while (this.drawn.length < count) this.drawn.push(this.random());
    for (let i = 0; i < count; i++) into[offset * width + i] = this.drawn[i]!;
  }

  /** A run that took `count` steps succeeded: its numbers are spent. */
  useUniforms(count: number): void {
    this.drawn.splice(0, count);
  }

  deliver(tokens: number[], done: boolean, error?: unknown): void {
    this.queue.push(...tokens);
    if (done) this.finished = true;
    if (error !== undefined) this.error = error;
    this.notify();
  }

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  waitForTokens(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }
}
