import { DEFAULT_INPUT_SEGMENTER, InputSegmenter } from '../engine/text/input-segmenter.js';
import { TextQueue } from '../engine/text/text-queue.js';
import { TtsError } from '../protocol/errors.js';

/** The settings of streamed input. */
export interface StreamedInputLimits {
  /** Most characters (code points) over the whole request. */
  maxTextChars: number;
  /** Longest time buffered text waits for more (counted from the newest text) before what is there is spoken, in ms. */
  inputMaxDelayMs: number;
  /** Shortest unfinished sentence spoken when that wait runs out, in characters. */
  inputMinChars: number;
  /** A request whose input stays open this long with no `text` or `flush` ends with INPUT_TIMEOUT, in seconds. */
  inputIdleTimeoutSec: number;
}

/**
 * The input side of one streamed request: takes the client's `text`, `flush` and `end`, cuts the text into pieces to
 * speak (see InputSegmenter) and queues them for the engine in `pieces`. Owns the request's two timers: the wait for
 * more text, and the idle timeout, which calls `onIdle`.
 */
export class StreamedInput {
  /** The pieces to speak, for `SynthesisRequest.input`. */
  readonly pieces = new TextQueue();
  private readonly segmenter: InputSegmenter;
  private textChars = 0;
  private ended = false;
  private delayTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: StreamedInputLimits,
    language: string,
    private readonly onIdle: () => void,
  ) {
    this.segmenter = new InputSegmenter({ ...DEFAULT_INPUT_SEGMENTER, language, minChars: limits.inputMinChars });
    this.touch();
  }

  /** Characters (code points) received so far. */
  get chars(): number {
    return this.textChars;
  }

  /** Appends text. Throws INPUT_CLOSED after `end`, TEXT_TOO_LONG past the request's character limit. */
  append(text: string): void {
    this.checkOpen();
    this.textChars += [...text].length;
    if (this.textChars > this.limits.maxTextChars) {
      throw new TtsError('TEXT_TOO_LONG', `streamed text has ${this.textChars} characters; the limit is ${this.limits.maxTextChars}`);
    }
    this.touch();
    // The wait counts from the newest text: while text keeps coming, only sentence and clause ends cut it.
    this.stopWaiting();
    this.queue(this.segmenter.append(text));
  }

  /** Speaks what is buffered now. Throws INPUT_CLOSED after `end`. */
  flush(): void {
    this.checkOpen();
    this.touch();
    this.queue(this.segmenter.takeAll());
  }

  /** Closes the input: what is buffered is spoken, then the request ends. Throws INPUT_CLOSED after `end`. */
  end(): void {
    this.checkOpen();
    this.queue(this.segmenter.takeAll());
    this.ended = true;
    this.stopTimers();
    this.pieces.end();
  }

  /** The request stopped (cancel, failure, connection closed): drop what waits and stop the timers. */
  close(): void {
    this.ended = true;
    this.stopTimers();
    this.pieces.close();
  }

  private checkOpen(): void {
    if (this.ended) throw new TtsError('INPUT_CLOSED', 'the input of this request has ended');
  }

  private queue(pieces: ReturnType<InputSegmenter['append']>): void {
    for (const piece of pieces) this.pieces.push(piece);
    if (!this.segmenter.pending) this.stopWaiting();
    else if (this.delayTimer === undefined) {
      this.delayTimer = setTimeout(() => this.waited(), this.limits.inputMaxDelayMs);
    }
  }

  /** The wait for more text ran out. A piece too short to speak waits on, until the next text re-arms the wait. */
  private waited(): void {
    this.delayTimer = undefined;
    const pieces = this.segmenter.take();
    if (pieces.length > 0) this.queue(pieces);
  }

  private stopWaiting(): void {
    clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.onIdle(), this.limits.inputIdleTimeoutSec * 1000);
  }

  private stopTimers(): void {
    clearTimeout(this.delayTimer);
    clearTimeout(this.idleTimer);
    this.delayTimer = undefined;
    this.idleTimer = undefined;
  }
}
