import WebSocket from 'ws';
import { decodeServerMessage } from '../../src/protocol/codec.js';
import { TtsError } from '../../src/protocol/errors.js';
import { STREAM_PATH, type ReadyMessage } from '../../src/protocol/messages.js';
import { SpeechSession, errorOf, type SpeakOptions, type SpeechStream } from '../shared/speech-session.js';

export type { SpeakOptions, SpeechChunk, SpeechStream } from '../shared/speech-session.js';

/** A connection to a worker or balancer; several requests may share it. */
export class TtsClient {
  /** Frames the server sent that were not for a request (errors without an id). */
  readonly connectionErrors: TtsError[];
  private readonly session: SpeechSession;

  private constructor(
    private readonly ws: WebSocket,
    /** The server's `ready` frame: sample rate, voices, params, limits. */
    readonly ready: ReadyMessage,
  ) {
    // Backpressure: while too many chunks wait unread, stop reading the socket, so TCP slows the server down.
    this.session = new SpeechSession(
      {
        send: (bytes) => ws.send(bytes),
        get isOpen() {
          return ws.readyState === WebSocket.OPEN;
        },
        pause: () => ws.pause(),
        resume: () => ws.resume(),
      },
      'r',
    );
    this.connectionErrors = this.session.connectionErrors;
    ws.on('message', (data: Buffer, isBinary: boolean) => this.session.receive(isBinary ? data : data.toString()));
    ws.on('close', (code: number, reason: Buffer) => this.session.close(code, reason.toString()));
    ws.on('error', () => undefined);
  }

  /**
   * Connects to `url` (ws://host:port, with or without the /v1/stream path) and waits for `ready`; `apiKey` goes as
   * `Authorization: Bearer` on the upgrade. Rejects with TtsError UNAUTHORIZED when the server wants a (different) key.
   */
  static connect(url: string, options: { timeoutMs?: number; apiKey?: string } = {}): Promise<TtsClient> {
    const target = new URL(url);
    if (target.pathname === '/' || target.pathname === '') target.pathname = STREAM_PATH;
    const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
    const ws = new WebSocket(target, { perMessageDeflate: false, headers });
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
            reject(errorOf(message));
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
    return this.session.speak(text, options);
  }

  /**
   * Starts a request whose text arrives from `texts` (e.g. a language model's tokens) and is spoken sentence by
   * sentence as it completes; the input ends when `texts` ends, and a throw from it cancels the request.
   */
  speakStream(texts: AsyncIterable<string>, options: SpeakOptions = {}): SpeechStream {
    return this.session.speakStream(texts, options);
  }

  /** Asks the server to stop a request; its stream then ends with `done.cancelled` true. */
  cancel(id: string): void {
    this.session.cancel(id);
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
}
