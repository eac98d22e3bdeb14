import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { TtsError } from '../../protocol/errors.js';
import { bodyTooLarge, type HttpExchange } from '../http-exchange.js';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** `'200 OK'` style status line text for uWS. */
export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trim();
}

/**
 * uWS cuts an HTTP socket after 10 s without a writable event, and the kernel reports writable only once a slow
 * reader has emptied a third of a send buffer of up to several MB: a client reading at 50 KB/s lost the end of long
 * WAV answers (issue 11). While a write waits, pause() and resume() re-arm that timer (failed writes and empty corks
 * do not); how long a client may read nothing at all is the worker's stall timeout.
 */
const KEEP_ALIVE_MS = 3000;

/**
 * HttpExchange over a uWS response. uWS request objects are only valid inside the route callback, so the
 * method, URL and headers are copied at construction; responses are invalid after onAborted or end, and
 * touching one then crashes the process, hence the `open` guard on every method.
 */
export class UwsExchange implements HttpExchange {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly remoteAddress: string;
  private readonly headers = new Map<string, string>();
  private aborted = false;
  private ended = false;
  private writable: (() => void) | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  /** finish() came while a write waited: the response ends once that write went out. */
  private endWhenWritable = false;
  private readonly onAbortCallbacks: Array<() => void> = [];

  constructor(
    private readonly res: HttpResponse,
    req: HttpRequest,
  ) {
    this.method = req.getMethod().toUpperCase();
    this.remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();
    this.path = req.getUrl();
    this.query = req.getQuery() ?? '';
    req.forEach((name, value) => this.headers.set(name, value));
    res.onAborted(() => {
      this.aborted = true;
      this.stopKeepAlive();
      for (const cb of this.onAbortCallbacks) cb();
      this.writable?.();
    });
  }

  get open(): boolean {
    return !this.aborted && !this.ended;
  }

  get writeBlocked(): boolean {
    return this.open && this.writable !== undefined;
  }

  header(name: string): string {
    return this.headers.get(name) ?? '';
  }

  onAbort(cb: () => void): void {
    this.onAbortCallbacks.push(cb);
  }

  end(status: number, headers: Record<string, string>, body: string | Uint8Array): void {
    if (!this.open) return;
    this.ended = true;
    this.res.cork(() => {
      this.writeHead(status, headers);
      this.res.end(body);
    });
  }

  endWithoutBody(status: number, headers: Record<string, string>, contentLength?: number): void {
    if (!this.open) return;
    this.ended = true;
    this.res.cork(() => {
      this.writeHead(status, headers);
      this.res.endWithoutBody(contentLength);
    });
  }

  begin(status: number, headers: Record<string, string>): void {
    if (!this.open) return;
    this.res.cork(() => this.writeHead(status, headers));
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.open) return Promise.resolve();
    let ok = true;
    this.res.cork(() => {
      ok = this.res.write(bytes);
    });
    if (ok) return Promise.resolve();
    this.keepAlive ??= setInterval(() => {
      if (this.aborted) return;
      this.res.pause();
      this.res.resume();
    }, KEEP_ALIVE_MS);
    return new Promise((resolve) => {
      this.writable = resolve;
      this.res.onWritable(() => {
        this.writable = undefined;
        this.stopKeepAlive();
        if (this.endWhenWritable && !this.aborted) this.res.cork(() => this.res.end());
        resolve();
        return true;
      });
    });
  }

  finish(): void {
    if (!this.open) return;
    this.ended = true;
    // Ending now would leave the backlog to uWS alone, without the timer re-arming above.
    if (this.writable) this.endWhenWritable = true;
    else this.res.cork(() => this.res.end());
  }

  kill(): void {
    if (!this.open) return;
    this.ended = true;
    this.stopKeepAlive();
    this.res.close();
  }

  private stopKeepAlive(): void {
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  readBody(maxBytes: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const parts: Uint8Array[] = [];
      let size = 0;
      let failed = false;
      this.onAbort(() => reject(new TtsError('INTERNAL', 'client went away')));
      this.res.onData((chunk, isLast) => {
        if (failed) return;
        size += chunk.byteLength;
        if (size > maxBytes) {
          failed = true;
          reject(bodyTooLarge(maxBytes));
          return;
        }
        // uWS neuters the chunk after this callback returns, so keep a copy.
        parts.push(new Uint8Array(chunk.slice(0)));
        if (isLast) resolve(Buffer.concat(parts));
      });
    });
  }

  private writeHead(status: number, headers: Record<string, string>): void {
    this.res.writeStatus(statusLine(status));
    for (const [k, v] of Object.entries(headers)) this.res.writeHeader(k, v);
  }
}
