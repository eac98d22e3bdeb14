import { request as httpRequest, Agent, type IncomingMessage } from 'node:http';
import type { Logger } from '../logging/logger.js';
import { TtsError, toTtsError } from '../protocol/errors.js';
import { sendError, type HttpExchange } from '../transport/http-exchange.js';
import type { Backend, BackendPool } from './backend-pool.js';

/** Response headers a worker sets that the client must see. */
const PASSED_HEADERS = ['content-type', 'cache-control', 'x-sample-rate', 'x-audio-format', 'retry-after', 'allow', 'etag', 'last-modified', 'content-encoding'];

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function forward(backend: Backend, method: string, path: string, headers: Record<string, string>, body: Uint8Array | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(`${backend.httpUrl}${path}`, { method, headers, agent }, resolve);
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/**
 * Proxies an HTTP request (POST /v1/tts, the browser page, …) to the least-loaded worker, streaming the
 * answer back as it comes with backpressure. A worker that cannot be reached is reported and the next one tried.
 */
export function proxyToWorker(
  http: HttpExchange,
  deps: { pool: BackendPool; logger: Logger; maxBodyBytes: number; isAccepting: () => TtsError | undefined; onNoBackend: () => void; workerHeaders?: Record<string, string> },
): void {
  const method = http.method;
  const path = `${http.path}${http.query ? `?${http.query}` : ''}`;
  // The client's own Authorization is never passed on: workers see the balancer's key (docs/security.md).
  const headers: Record<string, string> = { ...deps.workerHeaders };
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
      const payload = await body;
      const tried = new Set<number>();
      while (!upstream) {
        const backend = deps.pool.pick(tried);
        if (!backend) {
          deps.onNoBackend();
          throw new TtsError('NO_BACKEND', 'no healthy worker can take this request now');
        }
        tried.add(backend.index);
        try {
          upstream = await forward(backend, method, path, headers, payload);
          if (path.startsWith('/v1/tts')) backend.requests += 1;
        } catch (err) {
          deps.pool.reportFailure(backend, `proxy: ${(err as Error).message}`);
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
