import { request as httpRequest, validateHeaderValue, Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Logger } from '../logging/logger.js';
import { TtsError, toTtsError } from '../protocol/errors.js';
import { sendError, type HttpExchange } from '../transport/http-exchange.js';
import type { Backend, BackendPool } from './backend-pool.js';

/** Response headers a worker sets that the client must see. */
const PASSED_HEADERS = ['content-type', 'cache-control', 'x-sample-rate', 'x-audio-format', 'retry-after', 'allow', 'etag', 'last-modified', 'content-encoding'];

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** Network errors that show the worker itself cannot be reached: proof enough to take it out. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

/**
 * Sends the request to `backend`. Throws TtsError BAD_MESSAGE at once when Node's HTTP client refuses what the
 * client sent (a header or path it may not carry): that is the client's fault, never the worker's. The promise
 * rejects with the network error when the worker fails to answer.
 */
function forward(backend: Backend, method: string, path: string, headers: Record<string, string>, body: Uint8Array | undefined): Promise<IncomingMessage> {
  let upstream: ClientRequest;
  let answered!: (response: IncomingMessage) => void;
  const response = new Promise<IncomingMessage>((resolve) => (answered = resolve));
  try {
    upstream = httpRequest(`${backend.httpUrl}${path}`, { method, headers, agent }, answered);
  } catch (err) {
    throw new TtsError('BAD_MESSAGE', `the request cannot be forwarded: ${(err as Error).message}`, { cause: err });
  }
  const failed = new Promise<never>((_, reject) => upstream.on('error', reject));
  upstream.end(body);
  return Promise.race([response, failed]);
}

/** Header values the client sent that Node's HTTP client would refuse; checked before any worker is involved. */
function invalidHeader(headers: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    try {
      validateHeaderValue(name, value);
    } catch {
      return name;
    }
  }
  return undefined;
}

/**
 * Proxies an HTTP request (POST /v1/tts, the browser page, …) to the least-loaded worker, streaming the
 * answer back as it comes with backpressure. A worker that cannot be reached is reported and the next one tried.
 */
export function proxyToWorker(
  http: HttpExchange,
  deps: { pool: BackendPool; logger: Logger; maxBodyBytes: number; isAccepting: () => TtsError | undefined },
): void {
  const method = http.method;
  const path = `${http.path}${http.query ? `?${http.query}` : ''}`;
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'accept', 'if-none-match', 'accept-encoding']) {
    const value = http.header(name);
    if (value) headers[name] = value;
  }
  const body = method === 'GET' || method === 'HEAD' ? Promise.resolve(undefined) : http.readBody(deps.maxBodyBytes);
  body.catch(() => undefined);

  void (async () => {
    let upstream: IncomingMessage | undefined;
    try {
      const refusal = deps.isAccepting();
      if (refusal) throw refusal;
      const badHeader = invalidHeader(headers);
      if (badHeader) throw new TtsError('BAD_MESSAGE', `header '${badHeader}' holds a character HTTP does not allow`);
      const payload = await body;
      const tried = new Set<number>();
      while (!upstream) {
        const backend = deps.pool.pick(tried);
        if (!backend) {
          deps.pool.noBackend();
          throw new TtsError('NO_BACKEND', 'no healthy worker can take this request now');
        }
        tried.add(backend.index);
        try {
          upstream = await forward(backend, method, path, headers, payload);
          if (path.startsWith('/v1/tts')) deps.pool.requestStarted(backend);
        } catch (err) {
          if (err instanceof TtsError) throw err;
          // Only the worker's own failures count against it; a reset may be one dropped connection, so it is checked.
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== undefined && UNREACHABLE.has(code)) deps.pool.reportFailure(backend, `proxy: ${(err as Error).message}`);
          else deps.pool.suspect(backend, `proxy: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      const error = toTtsError(err);
      sendError(http, error, error.retryable ? { 'retry-after': '1' } : {});
      return;
    }
    const response = upstream;
    // The client may have left while the worker was answering: stop the worker's work now.
    if (!http.open) {
      response.destroy();
      return;
    }
    http.onAbort(() => response.destroy());
    const passed: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = response.headers[name];
      if (typeof value === 'string') passed[name] = value;
    }
    http.begin(response.statusCode ?? 502, passed);
    response.on('data', (chunk: Buffer) => {
      const written = http.write(chunk);
      response.pause();
      void written.then(() => response.resume());
    });
    response.on('end', () => http.finish());
    // A worker lost mid-body: cut the client's connection so the body reads as incomplete, never as whole.
    response.on('aborted', () => http.kill());
    response.on('error', () => http.kill());
  })();
}
