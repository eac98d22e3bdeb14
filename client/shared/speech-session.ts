// The request tracking both clients share, whatever socket carries the frames: per-request chunk queues, seq
// checks, done and error frames, the close that fails what is in flight, and read backpressure. Web-standard only:
// the browser bundle includes it (client/browser/tsconfig.json checks it without Node types).
import { decodeServerMessage, encodeFrame } from '../../src/protocol/codec.js';
import { TtsError, isErrorCode } from '../../src/protocol/errors.js';
import type { DoneMessage, ErrorMessage, ServerMessage, StreamFormat, SynthesisParams } from '../../src/protocol/messages.js';

/** One audio frame as the client hands it out. */
export interface SpeechChunk {
  seq: number;
  /** Raw samples in the request's format (s16le unless asked otherwise); with `opus`, the next Ogg Opus pages. */
  pcm: Uint8Array;
  samples: number;
}

/** Options of one request; all optional. */
export interface SpeakOptions {
  voice?: string;
  /** Language code for multilingual models; one of `ready.languages`. */
  language?: string;
  params?: SynthesisParams;
  /** Sample format, or `opus` for the pages of one Ogg Opus stream. */
  format?: StreamFormat;
  /** Request id; a unique one is made when absent. */
  id?: string;
  /** Aborting it cancels the request. */
  signal?: AbortSignal;
}

/** A request in flight: iterate its chunks; `done` resolves with the server's totals and metrics. */
export interface SpeechStream extends AsyncIterable<SpeechChunk> {
  readonly id: string;
  readonly done: Promise<DoneMessage>;
  cancel(): void;
}

/** What a session needs of its socket: `ws` in Node, the DOM WebSocket in a browser. */
export interface SpeechTransport {
  /** Sends one binary frame. */
  send(bytes: Uint8Array): void;
  /** True while frames can be sent. */
  readonly isOpen: boolean;
  /** Stops reading the socket while too many chunks wait unread; absent where the socket cannot pause. */
  pause?(): void;
  /** Reads the socket again after `pause`. */
  resume?(): void;
}

/** The server's error frame as a TtsError (INTERNAL for a code this client does not know). */
export function errorOf(message: ErrorMessage): TtsError {
  return new TtsError(isErrorCode(message.code) ? message.code : 'INTERNAL', message.message, { retryable: message.retryable });
}

/** One server frame decoded, or the BAD_FRAME TtsError it earns: a text frame (a string here) or bytes the codec rejects. */
export function readFrame(frame: Uint8Array | string): ServerMessage | TtsError {
  try {
    if (typeof frame === 'string') throw new TtsError('BAD_FRAME', 'server sent a text frame');
    return decodeServerMessage(frame);
  } catch (err) {
    return err instanceof TtsError ? err : new TtsError('BAD_FRAME', String(err));
  }
}

/** Chunks buffered over all requests before the session pauses the transport; it resumes below half of this. */
export const MAX_BUFFERED_CHUNKS = 64;

class RequestState {
  readonly chunks: SpeechChunk[] = [];
  expectedSeq = 0;
  finished = false;
  /** The consumer stopped iterating: later chunks are dropped, not buffered. */
  abandoned = false;
  error: TtsError | undefined;
  wake: (() => void) | undefined;
  resolveDone!: (done: DoneMessage) => void;
  rejectDone!: (err: TtsError) => void;
  readonly done = new Promise<DoneMessage>((resolve, reject) => {
    this.resolveDone = resolve;
    this.rejectDone = reject;
  });

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  fail(error: TtsError): void {
    this.error = error;
    this.finished = true;
    this.rejectDone(error);
    this.notify();
  }
}

/** The requests of one connection, after `ready`: the owner feeds it the server's frames and the close. */
export class SpeechSession {
  /** Frames the server sent that were not for a request (errors without an id, undecodable frames). */
  readonly connectionErrors: TtsError[] = [];
  private readonly requests = new Map<string, RequestState>();
  private buffered = 0;
  private paused = false;
  private counter = 0;
  private closedError: TtsError | undefined;

  /** `idPrefix` starts the ids the session makes up, so logs tell the clients apart. */
  constructor(
    private readonly transport: SpeechTransport,
    private readonly idPrefix: string,
  ) {}

  /** True once the connection closed: new requests fail at once. */
  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  /** Starts a request and returns its stream; errors for it (DUPLICATE_ID, the close) are thrown from iteration and `done`. */
  speak(text: string, options: SpeakOptions = {}): SpeechStream {
    const { id, state } = this.begin(text, options, false);
    return this.streamOf(id, state);
  }

  /**
   * Starts a request whose text comes from `texts` as it is produced (a language model's tokens, typed lines): each
   * string is sent as it arrives, and the input ends when `texts` does; the server cuts the text into sentences and
   * speaks them as they complete. When `texts` throws, the request is cancelled. Needs a server of protocol 2.
   */
  speakStream(texts: AsyncIterable<string>, options: SpeakOptions = {}): SpeechStream {
    const { id, state } = this.begin('', options, true);
    if (!state.finished) void this.feed(id, state, texts);
    return this.streamOf(id, state);
  }

  private async feed(id: string, state: RequestState, texts: AsyncIterable<string>): Promise<void> {
    const open = () => !state.finished && this.transport.isOpen;
    try {
      for await (const text of texts) {
        // Returning here stops the producer too (for await calls its return()).
        if (!open()) return;
        if (text !== '') this.transport.send(encodeFrame({ type: 'text', id, text }));
      }
      if (open()) this.transport.send(encodeFrame({ type: 'end', id }));
    } catch {
      this.cancel(id);
    }
  }

  private begin(text: string, options: SpeakOptions, streamed: boolean): { id: string; state: RequestState } {
    const id = options.id ?? `${this.idPrefix}${++this.counter}-${Math.random().toString(36).slice(2, 8)}`;
    const state = new RequestState();
    state.done.catch(() => undefined);
    if (this.closedError) {
      state.fail(this.closedError);
    } else if (this.requests.has(id)) {
      // Sending it would hand the running request's frames to this stream, and the server refuses it anyway.
      state.fail(new TtsError('DUPLICATE_ID', `request '${id}' is already in flight on this connection`));
    } else {
      this.requests.set(id, state);
      const { voice, language, params, format } = options;
      const start = { type: 'start' as const, id, text, voice, language, params, format, input: streamed ? ('stream' as const) : undefined };
      for (const key of ['voice', 'language', 'params', 'format', 'input'] as const) if (start[key] === undefined) delete start[key];
      this.transport.send(encodeFrame(start));
      const signal = options.signal;
      if (signal?.aborted) this.cancel(id);
      else if (signal) {
        const onAbort = () => this.cancel(id);
        signal.addEventListener('abort', onAbort, { once: true });
        // A long-lived signal shared by many requests must not collect a listener per finished request.
        state.done.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => undefined);
      }
    }
    return { id, state };
  }

  /** Asks the server to stop a request; its stream then ends with `done.cancelled` true. Unknown ids are ignored. */
  cancel(id: string): void {
    if (this.requests.has(id) && this.transport.isOpen) this.transport.send(encodeFrame({ type: 'cancel', id }));
  }

  /** One frame from the server after `ready`: bytes, or a string for a text frame (an error: the protocol is binary). */
  receive(frame: Uint8Array | string): void {
    const message = readFrame(frame);
    if (message instanceof TtsError) {
      this.connectionErrors.push(message);
      return;
    }
    if (message.type === 'ready') return;
    if (message.type === 'error' && message.id === undefined) {
      this.connectionErrors.push(errorOf(message));
      return;
    }
    const state = this.requests.get(message.id ?? '');
    if (!state) return;
    switch (message.type) {
      case 'audio':
        if (message.seq !== state.expectedSeq) {
          state.fail(new TtsError('BAD_FRAME', `request ${message.id}: expected seq ${state.expectedSeq}, got ${message.seq}`));
          this.cancel(message.id);
          this.requests.delete(message.id);
          return;
        }
        state.expectedSeq += 1;
        if (state.abandoned) return;
        state.chunks.push({ seq: message.seq, pcm: message.pcm, samples: message.samples });
        this.buffered += 1;
        if (this.buffered >= MAX_BUFFERED_CHUNKS && !this.paused) {
          this.paused = true;
          this.transport.pause?.();
        }
        state.notify();
        return;
      case 'done':
        this.requests.delete(message.id);
        if (message.chunks !== state.expectedSeq) {
          state.fail(new TtsError('BAD_FRAME', `request ${message.id}: done says ${message.chunks} chunks, received ${state.expectedSeq}`));
          return;
        }
        state.finished = true;
        state.resolveDone(message);
        state.notify();
        return;
      case 'error':
        this.requests.delete(message.id ?? '');
        state.fail(errorOf(message));
        return;
    }
  }

  /** The socket closed: fails the requests in flight and later ones; returns the error they fail with. */
  close(code: number, reason: string): TtsError {
    const kind = code === 1013 ? 'SERVER_BUSY' : code === 1012 ? 'DRAINING' : 'BACKEND_LOST';
    const error = new TtsError(kind, `connection closed (${code}${reason ? ` ${reason}` : ''})`, { retryable: true });
    this.closedError = error;
    for (const state of this.requests.values()) state.fail(error);
    this.requests.clear();
    return error;
  }

  private streamOf(id: string, state: RequestState): SpeechStream {
    const session = this;
    return {
      id,
      done: state.done,
      cancel: () => session.cancel(id),
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const chunk = state.chunks.shift();
            if (chunk) {
              session.taken(1);
              yield chunk;
              continue;
            }
            if (state.error) throw state.error;
            if (state.finished) return;
            await new Promise<void>((resolve) => (state.wake = resolve));
          }
        } finally {
          // A consumer that stops early (break, throw) would otherwise leave chunks counted against the
          // buffer forever, and the socket paused once they reach the limit: drop them and stop the request.
          state.abandoned = true;
          session.taken(state.chunks.length);
          state.chunks.length = 0;
          if (!state.finished) session.cancel(id);
        }
      },
    };
  }

  private taken(count: number): void {
    this.buffered -= count;
    if (this.buffered < MAX_BUFFERED_CHUNKS / 2 && this.paused) {
      this.paused = false;
      this.transport.resume?.();
    }
  }
}
