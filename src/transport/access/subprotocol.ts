/** The stream protocol's WebSocket subprotocol name, which browsers offer beside their key token. */
export const STREAM_SUBPROTOCOL = 'chatterbox.v1';

/** Prefix of the subprotocol token that carries an API key (`key.<KEY>`), for browsers that cannot set headers. */
export const KEY_SUBPROTOCOL_PREFIX = 'key.';

/** The offered subprotocols from a `Sec-WebSocket-Protocol` header value, in order. */
export function parseOfferedProtocols(header: string): string[] {
  return header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The subprotocol to select from those offered: STREAM_SUBPROTOCOL when offered, else the first one that carries no
 * key, else none (''). A key token is never echoed back, so it never shows up in a response.
 */
export function selectProtocol(offered: Iterable<string>): string {
  let fallback = '';
  for (const protocol of offered) {
    if (protocol === STREAM_SUBPROTOCOL) return protocol;
    if (!fallback && !protocol.startsWith(KEY_SUBPROTOCOL_PREFIX)) fallback = protocol;
  }
  return fallback;
}
