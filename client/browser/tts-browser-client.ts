// The browser client: the request tracking of client/shared/speech-session.ts (which the Node client shares),
// over the browser's WebSocket. Built to dist/client/browser/tts-client.js, which a web app imports as an ES module.
import { decodePcm } from '../../src/audio/pcm.js';
import { TtsError, isErrorCode } from '../../src/protocol/errors.js';
import { STREAM_PATH, type AudioFormat, type DoneMessage, type ReadyMessage, type SynthesisParams } from '../../src/protocol/messages.js';
import { SpeechSession, errorOf, readFrame, type SpeakOptions, type SpeechChunk, type SpeechStream } from '../shared/speech-session.js';

export { TtsError, isErrorCode, STREAM_PATH };
export type { AudioFormat, DoneMessage, ReadyMessage, SynthesisParams };
export type { ErrorCode } from '../../src/protocol/errors.js';
export type { SpeakOptions, SpeechChunk, SpeechStream };

/** The subset of the WebSocket API the client uses: the browser's, or a compatible one such as `ws`. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void): void;
}

/** Options of `connect`; `DEFAULT_CONNECT_OPTIONS` fills the gaps. */
export interface ConnectOptions {
  /** Time allowed for the socket to open and the `ready` frame to arrive, in ms. */
  timeoutMs?: number;
  /** WebSocket constructor to use (default: the global one). */
  WebSocket?: new (url: string, protocols?: string[]) => WebSocketLike;
  /**
   * API key for a server that requires one. Browsers cannot set headers on a WebSocket, so it goes as a `key.<KEY>`
   * subprotocol beside `chatterbox.v1`, which the server selects (it never echoes the key).
   */
  apiKey?: string;
}

/** Defaults of `connect`. */
export const DEFAULT_CONNECT_OPTIONS = {
  /** Time for the socket to open and `ready` to arrive, in ms. */
  timeoutMs: 10_000,
} as const;

/** A connection to a worker or balancer; several requests may share it. */
export interface BrowserTtsClient {
  /** The server's `ready` frame: sample rate, voices, params, limits. */
  readonly ready: ReadyMessage;
  /** True until the socket closes. */
  readonly isOpen: boolean;
  /** Resolves when the socket closes, with the error requests in flight failed with. */
  readonly closed: Promise<TtsError>;
  /** Errors the server sent that were not for a request (frames without an id). */
  readonly connectionErrors: TtsError[];
  /** Starts a request; its errors are thrown from iteration and `done`. */
  speak(text: string, options?: SpeakOptions): SpeechStream;
  /** Starts a request whose text arrives from `texts` and is spoken sentence by sentence; the input ends when `texts` does. */
  speakStream(texts: AsyncIterable<string>, options?: SpeakOptions): SpeechStream;
  /** Asks the server to stop a request; its stream then ends with `done.cancelled` true. Unknown ids are ignored. */
  cancel(id: string): void;
  /** Closes the connection; requests in flight fail. */
  close(): void;
}

const OPEN = 1;

/**
 * The stream URL for `base`: ws(s)://host/v1/stream. `base` may be http(s) or ws(s), absolute or relative to
 * the page, with or without the path; without `base`, the server that served the page.
 */
export function streamUrl(base?: string | URL): string {
  const origin = typeof location === 'undefined' ? undefined : location.href;
  const url = new URL(base ?? '/', origin);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.pathname === '/' || url.pathname === '') url.pathname = STREAM_PATH;
  return url.href;
}

/** A chunk's samples as floats in [-1, 1]; `format` must be the one the request asked for. */
export function toFloat32(chunk: SpeechChunk, format: AudioFormat = 's16le'): Float32Array {
  return decodePcm(chunk.pcm, format);
}

/**
 * Connects and waits for `ready`. Throws TtsError: NO_BACKEND (cannot connect), NOT_READY (timeout), or the server's
 * refusal (UNAUTHORIZED when it wants an API key, or another one).
 */
export function connect(url?: string | URL, options: ConnectOptions = {}): Promise<BrowserTtsClient> {
  const href = streamUrl(url);
  const Impl = options.WebSocket ?? (globalThis.WebSocket as unknown as new (url: string, protocols?: string[]) => WebSocketLike);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_OPTIONS.timeoutMs;
  const ws = options.apiKey ? new Impl(href, ['chatterbox.v1', `key.${options.apiKey}`]) : new Impl(href);
  ws.binaryType = 'arraybuffer';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(new TtsError('NOT_READY', `no ready frame from ${href} within ${timeoutMs} ms`));
    }, timeoutMs);
    new Connection(ws, href, (outcome) => {
      clearTimeout(timer);
      if (outcome instanceof TtsError) reject(outcome);
      else resolve(outcome);
    });
  });
}

/** Owns one socket from opening to close; becomes the client once `ready` arrives. */
class Connection implements BrowserTtsClient {
  ready!: ReadyMessage;
  readonly connectionErrors: TtsError[];
  readonly closed: Promise<TtsError>;
  private readonly session: SpeechSession;
  private settle: ((outcome: BrowserTtsClient | TtsError) => void) | undefined;
  private resolveClosed!: (err: TtsError) => void;

  constructor(
    private readonly ws: WebSocketLike,
    private readonly href: string,
    settle: (outcome: BrowserTtsClient | TtsError) => void,
  ) {
    this.settle = settle;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    // The browser's WebSocket cannot stop reading, so there is no pause: chunks wait in memory until taken.
    const transport = {
      send: (bytes: Uint8Array) => ws.send(bytes),
      get isOpen() {
        return ws.readyState === OPEN;
      },
    };
    this.session = new SpeechSession(transport, 'b');
    this.connectionErrors = this.session.connectionErrors;
    // Browsers give no detail on a failed connection: the close event that follows says it ended before ready.
    ws.addEventListener('error', () => this.refuse(new TtsError('NO_BACKEND', `cannot connect to ${href}`)));
    ws.addEventListener('message', (event: { data: unknown }) =>
      this.onFrame(event.data instanceof ArrayBuffer ? new Uint8Array(event.data) : String(event.data)),
    );
    ws.addEventListener('close', (event: { code: number; reason: string }) => this.onClose(event.code, event.reason));
  }

  get isOpen(): boolean {
    return !this.session.isClosed && this.ws.readyState === OPEN;
  }

  speak(text: string, options: SpeakOptions = {}): SpeechStream {
    return this.session.speak(text, options);
  }

  speakStream(texts: AsyncIterable<string>, options: SpeakOptions = {}): SpeechStream {
    return this.session.speakStream(texts, options);
  }

  cancel(id: string): void {
    this.session.cancel(id);
  }

  close(): void {
    this.ws.close(1000);
  }

  private onFrame(frame: Uint8Array | string): void {
    if (!this.settle) {
      this.session.receive(frame);
      return;
    }
    const message = readFrame(frame);
    if (message instanceof TtsError) {
      this.refuse(message);
    } else if (message.type === 'ready') {
      this.ready = message;
      const settle = this.settle;
      this.settle = undefined;
      settle(this);
    } else {
      this.refuse(message.type === 'error' ? errorOf(message) : new TtsError('BAD_FRAME', `expected ready, got ${message.type}`));
    }
  }

  /** The connection failed before `ready`, or the server answered it with something else. */
  private refuse(error: TtsError): void {
    const settle = this.settle;
    if (!settle) return;
    this.settle = undefined;
    settle(error);
    this.ws.close();
  }

  private onClose(code: number, reason: string): void {
    const error = this.session.close(code, reason);
    this.refuse(new TtsError(error.code === 'BACKEND_LOST' ? 'NO_BACKEND' : error.code, `${this.href}: ${error.message} before ready`, { retryable: true }));
    this.resolveClosed(error);
  }
}
