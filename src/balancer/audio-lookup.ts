import { request as httpRequest } from 'node:http';
import { TtsError, httpStatusFor } from '../protocol/errors.js';
import { sendJson, type HttpExchange } from '../transport/http-exchange.js';
import type { Backend, BackendPool } from './backend-pool.js';

/** Largest audio file the balancer relays from a worker, in bytes (about 90 minutes of 24 kHz speech). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

type Fetched = { status: number; contentType: string; body: Buffer } | { status: 0; error: string };

function fetchFrom(backend: Backend, path: string, headers: Record<string, string>, timeoutMs: number): Promise<Fetched> {
  return new Promise((resolve) => {
    const upstream = httpRequest(`${backend.httpUrl}${path}`, { method: 'GET', headers, timeout: timeoutMs }, (res) => {
      const parts: Buffer[] = [];
      let bytes = 0;
      res.on('data', (part: Buffer) => {
        bytes += part.length;
        if (bytes > MAX_FILE_BYTES) res.destroy(new Error('file too large to relay'));
        else parts.push(part);
      });
      res.on('error', (err) => resolve({ status: 0, error: err.message }));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(parts) }));
    });
    upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    upstream.on('error', (err) => resolve({ status: 0, error: err.message }));
    upstream.end();
  });
}

/**
 * `GET /audio/{file}` of the original API through the balancer: the file lives on whichever worker made it (or in a
 * directory they share), so each worker is asked in turn and the first that has it answers. 404 when none has it;
 * 502 BACKEND_LOST when none has it but some could not be asked.
 */
export function serveAudioFromAnyWorker(http: HttpExchange, deps: { pool: BackendPool; workerHeaders: Record<string, string>; timeoutMs: number }): void {
  void (async () => {
    const unreachable: string[] = [];
    for (const backend of deps.pool.backends) {
      const fetched = await fetchFrom(backend, http.path, deps.workerHeaders, deps.timeoutMs);
      if (fetched.status === 200 && 'body' in fetched) {
        http.end(200, { 'content-type': fetched.contentType || 'audio/wav', 'cache-control': 'private, max-age=60' }, fetched.body);
        return;
      }
      if (fetched.status !== 404) unreachable.push(backend.httpUrl);
    }
    const error =
      unreachable.length > 0
        ? new TtsError('BACKEND_LOST', `the file was not found on the workers that answered; ${unreachable.length} did not answer`)
        : new TtsError('NOT_FOUND', 'no such audio file (it may have expired)');
    sendJson(http, httpStatusFor(error.code), { success: false, error: { code: error.code, message: error.message, retryable: error.retryable } });
  })();
}
