import { request as httpRequest, validateHeaderValue, Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Logger } from '../logging/logger.js';
import { TtsError, toTtsError } from '../protocol/errors.js';
import { sendError, type HttpExchange } from '../transport/http-exchange.js';
import { isOpenAiPath, sendOpenAiError } from '../transport/openai-error.js';
import type { Backend, BackendPool } from './backend-pool.js';
import { isUnreachable } from './backend-record.js';
import { Deadline } from './deadline.js';

/** Response headers a worker sets that the client must see. */
const PASSED_HEADERS = [
  'content-type',
  'cache-control',
  'x-sample-rate',
  'x-audio-format',
  'retry-after',
  'allow',
  'etag',
  'last-modified',
  'content-encoding',
];

/** Paths whose requests run a synthesis on the worker, counted in the backend's request total. */
function isSynthesisPath(path: string): boolean {
  return path === '/v1/tts' || path === '/v1/audio/speech';
}

/** Paths whose bodies may carry audio uploads, relayed up to the upload limit rather than the frame limit. */
const UPLOAD_PATHS = ['/v1/voices', '/synthesize', '/synthesize-json'];

/** True for a path that takes uploads (voice clips, reference clips). */
export function isUploadPath(path: string): boolean {
  return UPLOAD_PATHS.includes(path);
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * Sends the request to `backend`. Throws TtsError BAD_MESSAGE at once when Node's HTTP client refuses what the
 * client sent (a header or path it may not carry): that is the client's fault, never the worker's. The promise
 * rejects with the network error when the worker fails to answer.
 */
function forward(
  backend: Backend,
  request: { method: string; path: string; headers: Record<string, string>; body: Uint8Array | undefined; progressTimeoutMs: number },
): Promise<IncomingMessage> {
  const { method, path, headers, body, progressTimeoutMs } = request;
  let upstream: ClientRequest;
  let answered!: (response: IncomingMessage) => void;
  const response = new Promise<IncomingMessage>((resolve) => (answered = resolve));
  try {
    upstream = httpRequest(`${backend.httpUrl}${path}`, { method, headers, agent }, answered);
  } catch (err) {
    throw new TtsError('BAD_MESSAGE', `the request cannot be forwarded: ${(err as Error).message}`, { cause: err });
  }
  // A hung worker (stopped, deadlocked) accepts the connection and never answers: give up on it in time.
  const silence = new Deadline(progressTimeoutMs, () => upstream.destroy(new Error(`no answer within ${progressTimeoutMs} ms`)));
  silence.run();
  const failed = new Promise<never>((_, reject) => upstream.on('error', reject));
  upstream.end(body);
  return Promise.race([response, failed]).finally(() => silence.stop());
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
 * answer back as it comes with backpressure. A worker that cannot be reached, or stays silent past the progress
 * deadline before answering, is reported and the next one tried; one silent mid-answer cuts the client's connection.
 */
export function proxyToWorker(
  http: HttpExchange,
  deps: {
    pool: BackendPool;
    logger: Logger;
    maxBodyBytes: number;
    progressTimeoutMs: number;
    isAccepting: () => TtsError | undefined;
    workerHeaders?: Record<string, string>;
  },
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
    let servedBy: Backend | undefined;
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
          upstream = await forward(backend, { method, path, headers, body: payload, progressTimeoutMs: deps.progressTimeoutMs });
          servedBy = backend;
          if (isSynthesisPath(http.path)) deps.pool.requestStarted(backend);
        } catch (err) {
          if (err instanceof TtsError) throw err;
          // Only the worker's own failures count against it; a reset may be one dropped connection, so it is checked.
          if (isUnreachable(err)) deps.pool.reportFailure(backend, `proxy: ${(err as Error).message}`);
          else deps.pool.suspect(backend, `proxy: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      const error = toTtsError(err);
      (isOpenAiPath(http.path) ? sendOpenAiError : sendError)(http, error, error.retryable ? { 'retry-after': '1' } : {});
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
    // Silence from the worker mid-body counts only while the client is not the one holding it up.
    const stall = new Deadline(deps.progressTimeoutMs, () => {
      if (servedBy) deps.pool.suspect(servedBy, `proxy: no data for ${deps.progressTimeoutMs} ms mid-answer`);
      response.destroy();
      http.kill();
    });
    stall.run();
    let closed = false;
    response.on('data', (chunk: Buffer) => {
      stall.stop();
      const written = http.write(chunk);
      response.pause();
      void written.then(() => {
        response.resume();
        if (!closed) stall.run();
      });
    });
    response.on('close', () => {
      closed = true;
      stall.stop();
    });
    response.on('end', () => http.finish());
    // A worker lost mid-body: cut the client's connection so the body reads as incomplete, never as whole.
    response.on('aborted', () => http.kill());
    response.on('error', () => http.kill());
  })();
}
