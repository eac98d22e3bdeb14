import { TtsError } from '../../protocol/errors.js';
import type { AudioChunk } from '../engine.js';

/**
 * The main-thread end of one request: chunks pushed by the engine thread, pulled by the consumer.
 * Each chunk the consumer takes calls `onTake`, which grants the thread credit for one more.
 */
export class ChunkStream implements AsyncIterableIterator<AudioChunk> {
  private readonly queue: AudioChunk[] = [];
  private ended = false;
  private failure: TtsError | undefined;
  private waiter: { resolve: (r: IteratorResult<AudioChunk>) => void; reject: (e: unknown) => void } | undefined;

  constructor(
    private readonly onTake: () => void,
    private readonly onReturn: () => void,
  ) {}

  push(chunk: AudioChunk): void {
    if (this.ended) return;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      this.onTake();
      resolve({ value: chunk, done: false });
    } else {
      this.queue.push(chunk);
    }
  }

  end(): void {
    this.ended = true;
    this.settleWaiter();
  }

  /** The request was aborted: chunks not yet taken are dropped and the stream ends now. */
  abort(): void {
    this.queue.length = 0;
    this.end();
  }

  fail(error: TtsError): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.settleWaiter();
  }

  next(): Promise<IteratorResult<AudioChunk>> {
    const chunk = this.queue.shift();
    if (chunk) {
      this.onTake();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<AudioChunk>> {
    if (!this.ended) this.onReturn();
    this.ended = true;
    this.queue.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (!waiter || this.queue.length > 0) return;
    this.waiter = undefined;
    if (this.failure) waiter.reject(this.failure);
    else waiter.resolve({ value: undefined, done: true });
  }
}
