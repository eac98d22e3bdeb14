import type { HttpResponse } from 'uWebSockets.js';
import { TtsError, httpStatusFor } from '../../protocol/errors.js';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 304: 'Not Modified', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 409: 'Conflict',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable',
};

/** `'200 OK'` style status line text for uWS. */
export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trim();
}

/**
 * Tracks whether a uWS response may still be touched: uWS responses are invalid after onAborted
 * or after end, and touching one then crashes the process.
 */
export class ResponseGuard {
  aborted = false;
  ended = false;
  private writable: (() => void) | undefined;
  private readonly onAbortCallbacks: Array<() => void> = [];

  constructor(readonly res: HttpResponse) {
    res.onAborted(() => {
      this.aborted = true;
      for (const cb of this.onAbortCallbacks) cb();
      this.writable?.();
    });
  }

  get open(): boolean {
    return !this.aborted && !this.ended;
  }

  onAbort(cb: () => void): void {
    this.onAbortCallbacks.push(cb);
  }

  /** Sends a whole response. */
  end(status: number, headers: Record<string, string>, body: string | Uint8Array): void {
    if (!this.open) return;
    this.ended = true;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      for (const [k, v] of Object.entries(headers)) this.res.writeHeader(k, v);
      this.res.end(body);
    });
  }

  /** Sends status and headers with no body (HEAD, 304); `contentLength` is the length a GET would have. */
  endWithoutBody(status: number, headers: Record<string, string>, contentLength?: number): void {
    if (!this.open) return;
    this.ended = true;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      for (const [k, v] of Object.entries(headers)) this.res.writeHeader(k, v);
      this.res.endWithoutBody(contentLength);
    });
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.end(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }, JSON.stringify(body));
  }

  error(error: TtsError, headers: Record<string, string> = {}): void {
    this.json(httpStatusFor(error.code), { error: { code: error.code, message: error.message, retryable: error.retryable } }, headers);
  }

  /** Starts a streamed (chunked) response. */
  begin(status: number, headers: Record<string, string>): void {
    if (!this.open) return;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      for (const [k, v] of Object.entries(headers)) this.res.writeHeader(k, v);
    });
  }

  /** Writes one piece of a streamed body; resolves when the socket can take more. */
  write(bytes: Uint8Array): Promise<void> {
    if (!this.open) return Promise.resolve();
    let ok = true;
    this.res.cork(() => {
      ok = this.res.write(bytes);
    });
    if (ok) return Promise.resolve();
    return new Promise((resolve) => {
      this.writable = resolve;
      this.res.onWritable(() => {
        this.writable = undefined;
        resolve();
        return true;
      });
    });
  }

  /** Ends a streamed body normally. */
  finish(): void {
    if (!this.open) return;
    this.ended = true;
    this.res.cork(() => this.res.end());
  }

  /** Cuts the connection so the client sees an incomplete body rather than a short but "complete" one. */
  kill(): void {
    if (!this.open) return;
    this.ended = true;
    this.res.close();
  }

  /** Reads the request body up to `maxBytes`; throws FRAME_TOO_LARGE beyond it. Call synchronously in the handler. */
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
          reject(new TtsError('FRAME_TOO_LARGE', `body exceeds ${maxBytes} bytes`));
          return;
        }
        // uWS neuters the chunk after this callback returns, so keep a copy.
        parts.push(new Uint8Array(chunk.slice(0)));
        if (isLast) resolve(Buffer.concat(parts));
      });
    });
  }
}
