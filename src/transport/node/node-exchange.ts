import type { IncomingMessage, ServerResponse } from 'node:http';
import { TtsError } from '../../protocol/errors.js';
import { bodyTooLarge, type HttpExchange } from '../http-exchange.js';

/** HttpExchange over node:http's request and response. */
export class NodeExchange implements HttpExchange {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly remoteAddress: string;
  private aborted = false;
  private ended = false;
  private readonly onAbortCallbacks: Array<() => void> = [];

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.method = (req.method ?? 'GET').toUpperCase();
    this.remoteAddress = req.socket.remoteAddress ?? '';
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    this.path = mark < 0 ? url : url.slice(0, mark);
    this.query = mark < 0 ? '' : url.slice(mark + 1);
    res.on('close', () => {
      if (this.ended && res.writableFinished) return;
      this.aborted = true;
      for (const cb of this.onAbortCallbacks) cb();
    });
  }

  get open(): boolean {
    return !this.aborted && !this.ended && !this.res.destroyed;
  }

  get writeBlocked(): boolean {
    return this.open && this.res.writableNeedDrain;
  }

  header(name: string): string {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  }

  onAbort(cb: () => void): void {
    this.onAbortCallbacks.push(cb);
  }

  end(status: number, headers: Record<string, string>, body: string | Uint8Array): void {
    if (!this.open) return;
    this.ended = true;
    this.res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    this.res.end(body);
  }

  endWithoutBody(status: number, headers: Record<string, string>, contentLength?: number): void {
    if (!this.open) return;
    this.ended = true;
    this.res.writeHead(status, contentLength === undefined ? headers : { ...headers, 'content-length': String(contentLength) });
    // node:http sends no body for HEAD and 304 whatever is written; end() with nothing is right for both.
    this.res.end();
  }

  begin(status: number, headers: Record<string, string>): void {
    if (!this.open) return;
    this.res.writeHead(status, headers);
    // Send the head now, as uWS does, rather than with the first body piece.
    this.res.flushHeaders();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.open || this.res.write(bytes)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  finish(): void {
    if (!this.open) return;
    this.ended = true;
    this.res.end();
  }

  kill(): void {
    if (!this.open) return;
    this.ended = true;
    this.res.destroy();
  }

  readBody(maxBytes: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      let size = 0;
      const fail = (error: TtsError) => {
        this.req.off('data', onData);
        // The rest of the body is not read: close the connection once the answer is sent.
        this.res.shouldKeepAlive = false;
        this.req.resume();
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > maxBytes) fail(bodyTooLarge(maxBytes));
        else parts.push(chunk);
      };
      if (Number(this.req.headers['content-length'] ?? 0) > maxBytes) {
        fail(bodyTooLarge(maxBytes));
        return;
      }
      this.onAbort(() => reject(new TtsError('INTERNAL', 'client went away')));
      this.req.on('data', onData);
      this.req.on('end', () => {
        if (size <= maxBytes) resolve(Buffer.concat(parts));
      });
    });
  }
}
