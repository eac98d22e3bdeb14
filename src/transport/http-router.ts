import { TtsError } from '../protocol/errors.js';
import { sendError, type HttpExchange, type HttpHandler } from './http-exchange.js';

/** Routes by exact path and method, written once for every adapter. */
export interface HttpRouter {
  /** Handles `method` (upper-case, or '*' for any) on exactly `path`; an earlier route for the same pair wins. */
  on(method: string, path: string, handler: HttpHandler): void;
  /** Handles `method` (or '*') on every path under `prefix` (which ends with '/') that no exact route matched. */
  onPrefix(method: string, prefix: string, handler: HttpHandler): void;
  /** Handles every request no route matched (404 when not set). */
  otherwise(handler: HttpHandler): void;
  /** The handler to give the adapter. */
  readonly handle: HttpHandler;
}

/** A router that answers unmatched requests with NOT_FOUND until `otherwise` says more. */
export function createHttpRouter(): HttpRouter {
  const routes = new Map<string, HttpHandler>();
  const prefixes: Array<{ method: string; prefix: string; handler: HttpHandler }> = [];
  let fallback: HttpHandler = (http: HttpExchange) => sendError(http, new TtsError('NOT_FOUND', `no route for ${http.method} ${http.path}`));
  return {
    on(method, path, handler) {
      const key = `${method} ${path}`;
      if (!routes.has(key)) routes.set(key, handler);
    },
    onPrefix(method, prefix, handler) {
      prefixes.push({ method, prefix, handler });
    },
    otherwise(handler) {
      fallback = handler;
    },
    handle(http) {
      const byPrefix = () => prefixes.find((p) => (p.method === http.method || p.method === '*') && http.path.startsWith(p.prefix))?.handler;
      const handler = routes.get(`${http.method} ${http.path}`) ?? routes.get(`* ${http.path}`) ?? byPrefix() ?? fallback;
      handler(http);
    },
  };
}
