import WebSocket from 'ws';
import { decodeServerMessage, encodeFrame } from '../../src/protocol/codec.js';
import { TtsError, isErrorCode } from '../../src/protocol/errors.js';
import { STREAM_PATH, type AudioFormat, type DoneMessage, type ReadyMessage, type ServerMessage, type SynthesisParams } from '../../src/protocol/messages.js';

/** One audio frame as the client hands it out. */
export interface SpeechChunk {
  seq: number;
  /** Raw samples in the request's format (s16le unless asked otherwise). */
  pcm: Uint8Array;
  samples: number;
}

export interface SpeakOptions {
  voice?: string;
  params?: SynthesisParams;
  format?: AudioFormat;
  /** Request id; a unique one is made when absent. */
  id?: string;
  signal?: AbortSignal;
}

/** A request in flight: iterate its chunks; `done` resolves with the server's totals and metrics. */
export interface SpeechStream extends AsyncIterable<SpeechChunk> {
  readonly id: string;
  readonly done: Promise<DoneMessage>;
  cancel(): void;
}

/** Chunks buffered in the client, over all requests, before it stops reading the socket. */
const MAX_BUFFERED_CHUNKS = 64;

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
}

/** A connection to a worker or balancer; several requests may share it. */
export class TtsClient {
  private readonly requests = new Map<string, RequestState>();
  private buffered = 0;
  private counter = 0;
  private closedError: TtsError | undefined;

  private constructor(
    private readonly ws: WebSocket,
    /** The server's `ready` frame: sample rate, voices, params, limits. */
    readonly ready: ReadyMessage,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => this.onClose(code, reason.toString()));
    ws.on('error', () => undefined);
  }

  /** Connects to `url` (ws://host:port, with or without the /v1/stream path) and waits for `ready`. */
  static connect(url: string, options: { timeoutMs?: number } = {}): Promise<TtsClient> {
    const target = new URL(url);
    if (target.pathname === '/' || target.pathname === '') target.pathname = STREAM_PATH;
    const ws = new WebSocket(target, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new TtsError('NOT_READY', `no ready frame from ${target.href} within ${options.timeoutMs ?? 10_000} ms`));
      }, options.timeoutMs ?? 10_000);
      const fail = (err: TtsError) => {
        clearTimeout(timer);
        reject(err);
      };
      ws.once('error', (err) => fail(new TtsError('NO_BACKEND', `cannot connect to ${target.href}: ${err.message}`)));
      ws.once('close', (code, reason) => fail(new TtsError('NO_BACKEND', `connection closed before ready (${code} ${reason.toString()})`)));
      ws.once('message', (data: Buffer) => {
        clearTimeout(timer);
        try {
          const message = decodeServerMessage(data);
          if (message.type === 'ready') {
            ws.removeAllListeners();
            resolve(new TtsClient(ws, message));
          } else if (message.type === 'error') {
            reject(new TtsError(isErrorCode(message.code) ? message.code : 'INTERNAL', message.message, { retryable: message.retryable }));
            ws.close();
          } else {
            throw new TtsError('BAD_FRAME', `expected ready, got ${message.type}`);
          }
        } catch (err) {
          ws.terminate();
          reject(err);
        }
      });
    });
  }

  /** Starts a request and returns its stream; errors for it are thrown from iteration and `done`. */
  speak(text: string, options: SpeakOptions = {}): SpeechStream {
    const id = options.id ?? `r${++this.counter}-${Math.random().toString(36).slice(2, 8)}`;
    const state = new RequestState();
    state.done.catch(() => undefined);
    if (this.closedError) {
      this.fail(state, this.closedError);
      return this.streamOf(id, state);
    }
    if (this.requests.has(id)) {
      // Sending it would hand the running request's frames to this stream, and the server refuses it anyway.
      this.fail(state, new TtsError('DUPLICATE_ID', `request '${id}' is already in flight on this connection`));
      return this.streamOf(id, state);
    }
    this.requests.set(id, state);
    this.ws.send(encodeFrame({ type: 'start', id, text, ...pick(options) }));
    options.signal?.addEventListener('abort', () => this.cancel(id), { once: true });
    return this.streamOf(id, state);
  }

  /** Asks the server to stop a request; its stream then ends with `done.cancelled` true. */
  cancel(id: string): void {
    if (this.requests.has(id) && this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeFrame({ type: 'cancel', id }));
  }

  /** Sends raw bytes as a frame (for tests of the server's input checks). */
  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** Closes the connection; requests still in flight fail. */
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
    });
  }

  /** Frames the server sent that were not for a request (errors without an id). */
  readonly connectionErrors: TtsError[] = [];

  private streamOf(id: string, state: RequestState): SpeechStream {
    const client = this;
    return {
      id,
      done: state.done,
      cancel: () => client.cancel(id),
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const chunk = state.chunks.shift();
            if (chunk) {
              client.taken(1);
              yield chunk;
              continue;
            }
            if (state.error) throw state.error;
            if (state.finished) return;
            await new Promise<void>((resolve) => {
              state.wake = resolve;
            });
          }
        } finally {
          // A consumer that stops early (break, throw) would otherwise leave chunks counted against the
          // buffer forever, and the socket paused once they reach the limit: drop them and stop the request.
          client.abandon(id, state);
        }
      },
    };
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    let message: ServerMessage;
    try {
      if (!isBinary) throw new TtsError('BAD_FRAME', 'server sent a text frame');
      message = decodeServerMessage(data);
    } catch (err) {
      this.connectionErrors.push(err instanceof TtsError ? err : new TtsError('BAD_FRAME', String(err)));
      return;
    }
    if (message.type === 'ready') return;
    if (message.type === 'error' && message.id === undefined) {
      this.connectionErrors.push(new TtsError(isErrorCode(message.code) ? message.code : 'INTERNAL', message.message, { retryable: message.retryable }));
      return;
    }
    const state = this.requests.get(message.id ?? '');
    if (!state) return;
    switch (message.type) {
      case 'audio':
        if (message.seq !== state.expectedSeq) {
          this.fail(state, new TtsError('BAD_FRAME', `request ${message.id}: expected seq ${state.expectedSeq}, got ${message.seq}`));
          this.cancel(message.id);
          this.requests.delete(message.id);
          return;
        }
        state.expectedSeq += 1;
        if (state.abandoned) return;
        state.chunks.push({ seq: message.seq, pcm: message.pcm, samples: message.samples });
        this.buffered += 1;
        if (this.buffered >= MAX_BUFFERED_CHUNKS) this.ws.pause();
        state.notify();
        return;
      case 'done':
        this.requests.delete(message.id);
        if (message.chunks !== state.expectedSeq) {
          this.fail(state, new TtsError('BAD_FRAME', `request ${message.id}: done says ${message.chunks} chunks, received ${state.expectedSeq}`));
          return;
        }
        state.finished = true;
        state.resolveDone(message);
        state.notify();
        return;
      case 'error':
        this.requests.delete(message.id ?? '');
        this.fail(state, new TtsError(isErrorCode(message.code) ? message.code : 'INTERNAL', message.message, { retryable: message.retryable }));
        return;
    }
  }

  private taken(count: number): void {
    this.buffered -= count;
    if (this.buffered < MAX_BUFFERED_CHUNKS / 2 && this.ws.isPaused) this.ws.resume();
  }

  private abandon(id: string, state: RequestState): void {
    state.abandoned = true;
    this.taken(state.chunks.length);
    state.chunks.length = 0;
    if (!state.finished) this.cancel(id);
  }

  private fail(state: RequestState, error: TtsError): void {
    state.error = error;
    state.finished = true;
    state.rejectDone(error);
    state.notify();
  }

  private onClose(code: number, reason: string): void {
    this.closedError = new TtsError(code === 1013 ? 'SERVER_BUSY' : code === 1012 ? 'DRAINING' : 'BACKEND_LOST', `connection closed (${code}${reason ? ` ${reason}` : ''})`, { retryable: true });
    for (const state of this.requests.values()) this.fail(state, this.closedError);
    this.requests.clear();
  }
}

function pick(options: SpeakOptions): { voice?: string; params?: SynthesisParams; format?: AudioFormat } {
  return {
    ...(options.voice === undefined ? {} : { voice: options.voice }),
    ...(options.params === undefined ? {} : { params: options.params }),
    ...(options.format === undefined ? {} : { format: options.format }),
  };
}
