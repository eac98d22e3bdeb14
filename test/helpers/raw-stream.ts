import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { decodeServerMessage } from '../../src/protocol/codec.js';
import type { AudioMessage, DoneMessage, ErrorMessage, ReadyMessage, ServerMessage } from '../../src/protocol/messages.js';

/** Packs anything as msgpack, so tests can send frames the codec would never produce. */
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Any value as a msgpack frame. */
export function packFrame(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Rejects with a message naming `what` when `promise` has not settled within `ms`: a safety net, not a wait. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** How a request ended on a raw connection: its audio frames in arrival order, then `done` or `error`. */
export interface RequestResult {
  audio: AudioMessage[];
  end: DoneMessage | ErrorMessage;
}

/**
 * A WebSocket client with no protocol logic of its own: it records every server frame in arrival
 * order so a test can assert exactly what the worker sent, and send bytes the Node client never would.
 */
export class RawStream {
  /** Every frame after the first (`ready`), in arrival order. */
  readonly frames: ServerMessage[] = [];
  /** Resolves when the socket closes, with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Called for each frame after the first as it arrives, before any waiter: to react with no delay (cancel on seq 0). */
  onFrame: ((frame: ServerMessage) => void) | undefined;
  private readonly waiters = new Set<() => void>();
  private firstFrame: ServerMessage | undefined;

  private constructor(readonly ws: WebSocket) {
    // Listeners go on before the socket opens: ws emits every message of one TCP read synchronously.
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
        this.notify();
      });
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) throw new Error('server sent a text frame');
      const frame = decodeServerMessage(data);
      if (this.firstFrame === undefined) this.firstFrame = frame;
      else {
        this.frames.push(frame);
        this.onFrame?.(frame);
      }
      this.notify();
    });
  }

  /** Opens a connection and waits for the server's first frame. */
  static async open(url: string): Promise<RawStream> {
    const stream = new RawStream(new WebSocket(url, { perMessageDeflate: false }));
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (stream.firstFrame !== undefined) resolve();
          else if (stream.ws.readyState === WebSocket.CLOSED) reject(new Error('closed before the first frame'));
          else return;
          stream.waiters.delete(check);
        };
        stream.waiters.add(check);
      }),
      10_000,
      'the first frame',
    );
    return stream;
  }

  /** The first frame the server sent: `ready`, or an `error` when it refused the connection. */
  get first(): ServerMessage {
    if (this.firstFrame === undefined) throw new Error('no frame yet');
    return this.firstFrame;
  }

  /** The `ready` frame; throws when the server sent something else first. */
  get ready(): ReadyMessage {
    if (this.first.type !== 'ready') throw new Error(`expected ready, got ${this.first.type}`);
    return this.first;
  }

  /** Sends a protocol-shaped value as a binary msgpack frame. */
  send(value: unknown): void {
    this.ws.send(packFrame(value));
  }

  /** Sends raw bytes (binary) or a string (a text frame). */
  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  /** The first frame at index `from` or later that matches, waiting for it to arrive. */
  async waitFor<T extends ServerMessage>(match: (frame: ServerMessage) => frame is T, from?: number, timeoutMs?: number): Promise<T>;
  async waitFor(match: (frame: ServerMessage) => boolean, from?: number, timeoutMs?: number): Promise<ServerMessage>;
  async waitFor(match: (frame: ServerMessage) => boolean, from = 0, timeoutMs = 15_000): Promise<ServerMessage> {
    const found = () => this.frames.slice(from).find(match);
    const search = new Promise<ServerMessage>((resolve, reject) => {
      const check = () => {
        const frame = found();
        if (frame) {
          this.waiters.delete(check);
          resolve(frame);
        } else if (this.ws.readyState === WebSocket.CLOSED) {
          this.waiters.delete(check);
          reject(new Error('connection closed before the frame arrived'));
        }
      };
      this.waiters.add(check);
      check();
    });
    return withTimeout(search, timeoutMs, 'a matching frame');
  }

  /** The next error frame without a request id (about a frame or the connection), after index `from`. */
  nextConnectionError(from: number): Promise<ErrorMessage> {
    return this.waitFor((f): f is ErrorMessage => f.type === 'error' && f.id === undefined, from);
  }

  /** Waits for request `id` to end and returns its audio frames and its `done` or `error`. */
  async result(id: string, timeoutMs = 15_000): Promise<RequestResult> {
    const end = await this.waitFor((f): f is DoneMessage | ErrorMessage => (f.type === 'done' || f.type === 'error') && f.id === id, 0, timeoutMs);
    const audio = this.frames.filter((f): f is AudioMessage => f.type === 'audio' && f.id === id);
    return { audio, end };
  }

  /** Starts a request and waits for its end. */
  async speak(id: string, text: string, extra: Record<string, unknown> = {}): Promise<RequestResult> {
    this.send({ type: 'start', id, text, ...extra });
    return this.result(id);
  }

  /** Closes the socket (if open) and waits for the close to complete. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    // A paused socket would never read the server's close frame.
    if (this.ws.isPaused) this.ws.resume();
    if (this.ws.readyState !== WebSocket.CLOSING) this.ws.close(1000);
    await withTimeout(this.closed, 5_000, 'the socket to close').catch(() => this.ws.terminate());
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}

/** A request's audio in brief: its seqs in arrival order and the total samples. */
export function summarize(result: RequestResult): { seqs: number[]; samples: number } {
  return { seqs: result.audio.map((a) => a.seq), samples: result.audio.reduce((n, a) => n + a.samples, 0) };
}

/** A request's audio payloads, joined in arrival order. */
export function pcmOf(result: RequestResult): Buffer {
  return Buffer.concat(result.audio.map((a) => a.pcm));
}

/** The request's `done`, after checking it ended so, its seqs run 0, 1, 2, … and `done` counts its chunks and samples. */
export function assertCompleted(result: RequestResult): DoneMessage {
  assert.equal(result.end.type, 'done', result.end.type === 'error' ? `${result.end.code}: ${result.end.message}` : '');
  const done = result.end as DoneMessage;
  const { seqs, samples } = summarize(result);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i),
    'seq runs 0, 1, 2, … with no gap or repeat',
  );
  assert.equal(done.chunks, result.audio.length);
  assert.equal(done.samples, samples);
  return done;
}
