import { TtsError } from '../../protocol/errors.js';
import { sendError, sendJson, type HttpExchange, type HttpHandler } from '../http-exchange.js';
import { isOpenRoute, type AccessPolicy } from './access-policy.js';
import { decorateExchange } from './decorated-exchange.js';
import { isHostAllowed, isOriginAllowed } from './origin-host.js';

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_SEC = 600;

/** The refusal every key failure gets, missing or wrong alike: nothing tells a caller which it was. */
export function unauthorized(): TtsError {
  return new TtsError('UNAUTHORIZED', 'unauthorized');
}

/** The refusal for a Host or Origin that is not allowed. */
export function forbidden(): TtsError {
  return new TtsError('FORBIDDEN', 'forbidden');
}

/** Sends RATE_LIMITED as 429 with `retry-after` (seconds) and `retryAfterMs` in the body. */
export function sendRateLimited(http: HttpExchange, retryAfterMs: number, headers: Record<string, string> = {}): void {
  sendJson(
    http,
    429,
    { error: { code: 'RATE_LIMITED', message: 'rate limit reached', retryable: true, retryAfterMs } },
    { 'retry-after': String(Math.ceil(retryAfterMs / 1000)), ...headers },
  );
}

/** Characters of `text` in a JSON body, 0 when it has none (the route then answers with its own coded error). */
function textCharsOf(body: Uint8Array): number {
  try {
    const json = JSON.parse(Buffer.from(body).toString('utf8')) as { text?: unknown };
    return typeof json?.text === 'string' ? json.text.length : 0;
  } catch {
    return 0;
  }
}

/**
 * Wraps a router's handler with the policy: Host check (DNS rebinding), Origin check and CORS for `/v1/*` (with
 * preflight), API keys on every route but the open ones, and per-client request and character limits on POST /v1/tts.
 * `authenticated` tells a handler whether the caller presented a valid key (for /health's redaction).
 */
export function guardHttp(policy: AccessPolicy, handler: (http: HttpExchange, authenticated: boolean) => void): HttpHandler {
  return (http) => {
    const host = http.header('host');
    if (!isHostAllowed(host, policy.listenHost, policy.allowedHosts)) return sendError(http, forbidden());
    const origin = http.header('origin');
    const api = http.path.startsWith('/v1/');
    if (api && origin !== '' && !isOriginAllowed(origin, host, policy.allowedOrigins)) return sendError(http, forbidden());
    const cors: Record<string, string> = api && origin !== '' ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
    if (api && http.method === 'OPTIONS' && origin !== '') {
      http.endWithoutBody(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_SEC),
        'cache-control': 'no-store',
      });
      return;
    }
    const keyLabel = policy.authenticate((name) => http.header(name));
    if (policy.keyCheck && !keyLabel && !isOpenRoute(http)) return sendError(http, unauthorized(), { ...cors, 'www-authenticate': 'Bearer' });
    const client = keyLabel ?? http.remoteAddress;
    const limited = http.method === 'POST' && http.path === '/v1/tts' && (policy.limits.requestsPerMinute > 0 || policy.limits.charsPerMinute > 0);
    const readBody = limited
      ? async (maxBytes: number) => {
          const body = await http.readBody(maxBytes);
          const waitMs = policy.limiter.takeRequest(client, textCharsOf(body));
          if (waitMs !== undefined) {
            // Answered here, with the retry hint; the route's own error reply then finds the response ended.
            sendRateLimited(http, waitMs, cors);
            throw new TtsError('RATE_LIMITED', 'rate limit reached');
          }
          return body;
        }
      : undefined;
    const exchange = Object.keys(cors).length > 0 || readBody ? decorateExchange(http, { extraHeaders: cors, readBody }) : http;
    handler(exchange, keyLabel !== undefined);
  };
}
