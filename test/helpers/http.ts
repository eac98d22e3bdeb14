import { request } from 'node:http';
import { withTimeout } from './raw-stream.js';

/** A whole HTTP response. */
export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Milliseconds from sending the request to the end of the response. */
  elapsedMs: number;
}

/**
 * One HTTP request on a connection of its own (`Connection: close`), so no idle keep-alive socket
 * outlives the test and holds the worker's event loop open after it closes.
 */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const startedAt = performance.now();
  const done = new Promise<HttpResult>((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), elapsedMs: performance.now() - startedAt }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
  return withTimeout(done, options.timeoutMs ?? 15_000, `${options.method ?? 'GET'} ${url}`);
}

/** POSTs a JSON body (or raw text) to `url`. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
}

/** Parses a JSON response body. */
export function jsonOf<T>(result: HttpResult): T {
  return JSON.parse(result.body.toString('utf8')) as T;
}
