import type { HttpExchange } from '../http-exchange.js';

/**
 * An HttpExchange that adds `extraHeaders` to every response and may replace `readBody`; everything else goes to
 * the exchange it wraps.
 */
export function decorateExchange(
  inner: HttpExchange,
  options: { extraHeaders?: Record<string, string>; readBody?: (maxBytes: number) => Promise<Uint8Array> },
): HttpExchange {
  const extra = options.extraHeaders ?? {};
  return {
    get method() {
      return inner.method;
    },
    get path() {
      return inner.path;
    },
    get query() {
      return inner.query;
    },
    get remoteAddress() {
      return inner.remoteAddress;
    },
    get open() {
      return inner.open;
    },
    get writeBlocked() {
      return inner.writeBlocked;
    },
    header: (name) => inner.header(name),
    readBody: options.readBody ?? ((maxBytes) => inner.readBody(maxBytes)),
    onAbort: (cb) => inner.onAbort(cb),
    end: (status, headers, body) => inner.end(status, { ...headers, ...extra }, body),
    endWithoutBody: (status, headers, contentLength) => inner.endWithoutBody(status, { ...headers, ...extra }, contentLength),
    begin: (status, headers) => inner.begin(status, { ...headers, ...extra }),
    write: (bytes) => inner.write(bytes),
    finish: () => inner.finish(),
    kill: () => inner.kill(),
  };
}
