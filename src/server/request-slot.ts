import type { Admission } from './admission.js';

/**
 * One request's hold on a generation slot. The request steps aside while it cannot generate (its client is not
 * reading, or its streamed input waits for text): it gives the slot back, counts as paused, and takes a slot again
 * (ahead of new requests, never refused) when every reason to wait is over. Waits may overlap; the slot is held
 * once at most.
 */
export class RequestSlot {
  private release: (() => void) | undefined;
  private taking: Promise<void> | undefined;
  private waits = 0;
  private resumed: (() => void) | undefined;

  constructor(
    private readonly admission: Admission,
    private readonly signal: AbortSignal,
  ) {}

  /** Takes the first slot. Throws SERVER_BUSY when the queue is full. */
  async acquire(): Promise<void> {
    this.release = await this.admission.acquire(this.signal);
  }

  /**
   * Runs `wait` without the slot and takes it again before returning what `wait` gave (not once the request
   * aborted: it ends without one).
   */
  async stepAside<T>(wait: () => Promise<T>): Promise<T> {
    this.waits += 1;
    if (this.waits === 1) {
      // A slot still being taken back for an earlier wait is given up as soon as it comes.
      await this.taking?.catch(() => undefined);
      this.drop();
      this.resumed = this.admission.markPaused();
    }
    try {
      return await wait();
    } finally {
      this.waits -= 1;
      if (this.waits === 0) {
        this.unpause();
        if (!this.signal.aborted) {
          this.taking = this.take();
          await this.taking;
        }
      }
    }
  }

  /** Gives the slot back for good (idempotent). */
  end(): void {
    this.drop();
    this.unpause();
  }

  private async take(): Promise<void> {
    let release: () => void;
    try {
      release = await this.admission.acquire(this.signal, { resuming: true });
    } catch (err) {
      // A resuming request is never refused: only an abort ends its wait, and the request ends anyway.
      if (this.signal.aborted) return;
      throw err;
    }
    // Another wait began while this one queued for the slot: it must not be held through that wait.
    if (this.waits > 0) release();
    else this.release = release;
  }

  /** Stops counting the request as paused (idempotent). */
  private unpause(): void {
    this.resumed?.();
    this.resumed = undefined;
  }

  private drop(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }
}
