import type { TextPiece } from './split-sentences.js';

/**
 * The text pieces of a streamed request, in arrival order: the server pushes them as the client's text is cut, the
 * engine takes them in turn. Iteration waits for the next piece and ends once `end` (input closed) or `close`
 * (request stopped: pieces not yet taken are dropped) was called. One consumer.
 */
export class TextQueue implements AsyncIterable<TextPiece> {
  private readonly pieces: TextPiece[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  /** `onWait` is called each time iteration starts waiting for a piece (the engine thread asks for one then). */
  constructor(private readonly onWait?: () => void) {}

  /** Whether the next piece, or the end, is there now: taking it would not wait. */
  get ready(): boolean {
    return this.pieces.length > 0 || this.ended;
  }

  /** Adds a piece; ignored after `end` or `close`. */
  push(piece: TextPiece): void {
    if (this.ended) return;
    this.pieces.push(piece);
    this.notify();
  }

  /** No more pieces will come: iteration ends after the ones queued. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The request stopped: iteration ends now, queued pieces are dropped. */
  close(): void {
    this.pieces.length = 0;
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TextPiece> {
    for (;;) {
      const piece = this.pieces.shift();
      if (piece) yield piece;
      else if (this.ended) return;
      else {
        const arrived = new Promise<void>((resolve) => (this.wake = resolve));
        this.onWait?.();
        await arrived;
      }
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
