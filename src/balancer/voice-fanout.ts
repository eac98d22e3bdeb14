import { request as httpRequest } from 'node:http';
import type { Logger } from '../logging/logger.js';
import { TtsError, toTtsError } from '../protocol/errors.js';
import { sendError, sendJson, type HttpExchange } from '../transport/http-exchange.js';
import type { Backend, BackendPool } from './backend-pool.js';

/** Most bytes of a worker's answer to a library change that the balancer reads (they are small JSON). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** One worker's answer to a fanned-out change. */
export interface BackendAnswer {
  backend: string;
  /** The worker's HTTP status; 0 when it could not be reached. */
  status: number;
  body: unknown;
  error?: string;
}

function ask(
  backend: Backend,
  request: { method: string; path: string; headers: Record<string, string>; body: Uint8Array | undefined; timeoutMs: number },
): Promise<BackendAnswer> {
  return new Promise((resolve) => {
    const failed = (err: Error) => resolve({ backend: backend.httpUrl, status: 0, body: undefined, error: err.message });
    const upstream = httpRequest(
      `${backend.httpUrl}${request.path}`,
      { method: request.method, headers: request.headers, timeout: request.timeoutMs },
      (res) => {
        const parts: Buffer[] = [];
        let bytes = 0;
        res.on('data', (part: Buffer) => {
          bytes += part.length;
          if (bytes > MAX_ANSWER_BYTES) res.destroy(new Error('answer too large'));
          else parts.push(part);
        });
        res.on('error', failed);
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(parts).toString('utf8'));
          } catch {
            body = undefined;
          }
          resolve({ backend: backend.httpUrl, status: res.statusCode ?? 0, body });
        });
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
    upstream.on('error', failed);
    upstream.end(request.body);
  });
}

/**
 * Sends a voice-library change (an upload or a delete) to every configured worker, for workers that do not share a
 * voices directory, and answers with the workers' common status and body plus each one's answer in `backends`;
 * when they disagree or one cannot be reached, with 502 FANOUT_INCOMPLETE listing every worker's answer.
 */
export function fanOutToWorkers(
  http: HttpExchange,
  deps: {
    pool: BackendPool;
    logger: Logger;
    maxBodyBytes: number;
    progressTimeoutMs: number;
    workerHeaders: Record<string, string>;
    isAccepting: () => TtsError | undefined;
  },
): void {
  const method = http.method;
  const path = `${http.path}${http.query ? `?${http.query}` : ''}`;
  const headers: Record<string, string> = { ...deps.workerHeaders };
  const contentType = http.header('content-type');
  if (contentType) headers['content-type'] = contentType;
  const body = method === 'POST' ? http.readBody(deps.maxBodyBytes) : Promise.resolve(undefined);
  body.catch(() => undefined);
  void (async () => {
    try {
      const refusal = deps.isAccepting();
      if (refusal) throw refusal;
      const payload = await body;
      if (deps.pool.backends.length === 0) throw new TtsError('NO_BACKEND', 'no worker is configured');
      const answers = await Promise.all(
        deps.pool.backends.map((backend) => ask(backend, { method, path, headers, body: payload, timeoutMs: deps.progressTimeoutMs })),
      );
      const summary = answers.map(({ backend, status, body: answer, error }) => ({
        backend,
        status,
        ...(error ? { error } : {}),
        ...(status >= 400 && typeof answer === 'object' && answer !== null && 'error' in answer ? { error: (answer as { error: unknown }).error } : {}),
      }));
      const first = answers[0]!;
      if (answers.every((a) => a.status === first.status && a.status !== 0)) {
        const common = typeof first.body === 'object' && first.body !== null ? first.body : {};
        sendJson(http, first.status, { ...common, backends: summary });
        return;
      }
      deps.logger.warn(
        { method, path: http.path, backends: summary.map((s) => ({ backend: s.backend, status: s.status })) },
        'voice change reached only some workers',
      );
      const error = new TtsError('FANOUT_INCOMPLETE', 'the workers did not all make this change; see backends for each answer');
      sendJson(http, 502, { error: { code: error.code, message: error.message, retryable: error.retryable }, backends: summary });
    } catch (err) {
      sendError(http, toTtsError(err));
    }
  })();
}
