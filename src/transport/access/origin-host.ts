import { isIP } from 'node:net';

/** The hostname of a Host header value (`name:port`, `[v6]:port`), lower-case; '' when malformed. */
export function hostnameOf(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  } catch {
    return '';
  }
}

function isLoopbackName(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

/**
 * Whether a Host header is one this server answers to, against DNS rebinding: a page on an attacker's name that
 * resolves to this machine sends that name as Host. Allowed: any IP literal (a rebound name is never one), loopback
 * names, the configured listen host, and `allowed` (exact names, or '*' for any).
 */
export function isHostAllowed(hostHeader: string, listenHost: string, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  const hostname = hostnameOf(hostHeader);
  if (hostname === '') return false;
  if (isIP(hostname) !== 0 || isLoopbackName(hostname)) return true;
  if (hostname === listenHost.toLowerCase()) return true;
  return allowed.some((name) => name.toLowerCase() === hostname);
}

/**
 * Whether a request's Origin may use the API: no Origin (not a browser page), the same origin (the Origin's host
 * equals the Host header), or one of `allowed` (exact origins such as `https://app.example`, or '*' for any).
 * `null` (sandboxed frames, files) is refused unless listed.
 */
export function isOriginAllowed(origin: string, hostHeader: string, allowed: readonly string[]): boolean {
  if (origin === '') return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  if (origin === 'null') return false;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return url.host.toLowerCase() === hostHeader.toLowerCase();
  } catch {
    return false;
  }
}
