import { TtsError, httpStatusFor } from '../protocol/errors.js';

/**
 * One HTTP request and its response as routes see them; each transport adapter implements it, so routes
 * are written once. A response may be touched only while `open`: after it ended or the client went away,
 * every method is a no-op.
 */
export interface HttpExchange {
  /** Upper-case method: 'GET', 'POST', … */
  readonly method: string;
  /** The path as sent, without the query. */
  readonly path: string;
  /** The query string without '?'; '' when there is none. */
  readonly query: string;
  /** The client's IP address as text; '' when unknown. */
  readonly remoteAddress: string;
  /** A request header by lower-case name; '' when absent. */
  header(name: string): string;
  /** Reads the body up to `maxBytes`; rejects with FRAME_TOO_LARGE beyond it. Call it before the handler's first await. */
  readBody(maxBytes: number): Promise<Uint8Array>;
  /** False once the response ended or the client went away. */
  readonly open: boolean;
  /** Runs `cb` if the client goes away before the response ended. */
  onAbort(cb: () => void): void;
  /** Sends a whole response. */
  end(status: number, headers: Record<string, string>, body: string | Uint8Array): void;
  /** Sends status and headers with no body (HEAD, 304); `contentLength` is the length a GET would have. */
  endWithoutBody(status: number, headers: Record<string, string>, contentLength?: number): void;
  /** Starts a streamed (chunked) response. */
  begin(status: number, headers: Record<string, string>): void;
  /** Writes one piece of a streamed body; resolves when the socket can take more (or the client left). */
  write(bytes: Uint8Array): Promise<void>;
  /** True while the last `write` waits for the client to read. */
  readonly writeBlocked: boolean;
  /** Ends a streamed body normally. */
  finish(): void;
  /** Cuts the connection so the client sees an incomplete body rather than a short but "complete" one. */
  kill(): void;
}

/** What an adapter calls for every HTTP request that is not a WebSocket upgrade; must never throw. */
export type HttpHandler = (http: HttpExchange) => void;

/** Sends `body` as an uncached JSON response. */
export function sendJson(http: HttpExchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  http.end(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }, JSON.stringify(body));
}

/** Sends a coded error as `{error: {code, message, retryable}}` with the status of its code. */
export function sendError(http: HttpExchange, error: TtsError, headers: Record<string, string> = {}): void {
  sendJson(http, httpStatusFor(error.code), { error: { code: error.code, message: error.message, retryable: error.retryable } }, headers);
}

/** The body-too-large error both adapters throw from `readBody`. */
export function bodyTooLarge(maxBytes: number): TtsError {
  return new TtsError('FRAME_TOO_LARGE', `body exceeds ${maxBytes} bytes`);
}
