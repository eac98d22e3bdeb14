import type { HttpExchange } from '../http-exchange.js';
import { createKeyCheck, loadApiKeys, type KeyCheck } from './api-keys.js';
import { createRateLimiter, type RateLimiter, type RateLimits } from './rate-limiter.js';
import { KEY_SUBPROTOCOL_PREFIX, parseOfferedProtocols } from './subprotocol.js';

/** The access settings shared by worker and balancer, as read from their settings tables. */
export interface AccessSettings extends RateLimits {
  /** 'api-key' requires a key on every route but /health and the page's files. */
  auth: string;
  apiKeysFile: string | undefined;
  apiKeys: readonly string[];
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
  /** The address the server listens on; a Host header naming it is allowed. */
  host: string;
}

/** Access off: no keys, same-origin browsers only, loopback and IP-literal hosts, no limits. */
export const DEFAULT_ACCESS_SETTINGS: Omit<AccessSettings, 'host'> = {
  auth: 'off',
  apiKeysFile: undefined,
  apiKeys: [],
  allowedOrigins: [],
  allowedHosts: [],
  sessionsPerClient: 0,
  requestsPerMinute: 0,
  charsPerMinute: 0,
};

/** Who may use a server and how much: the key check, origin and host lists, and the per-client limiter. */
export interface AccessPolicy {
  /** Undefined when API keys are off. */
  readonly keyCheck: KeyCheck | undefined;
  readonly allowedOrigins: readonly string[];
  readonly allowedHosts: readonly string[];
  readonly listenHost: string;
  readonly limits: RateLimits;
  readonly limiter: RateLimiter;
  /** The presented key's label (`key#N`) when it is valid; undefined when keys are off or none valid was sent. */
  authenticate(header: (name: string) => string): string | undefined;
}

/** The key a request presents: `Authorization: Bearer <key>`, else (WebSocket upgrades) a `key.<key>` subprotocol. */
export function presentedKey(header: (name: string) => string): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header('authorization'));
  if (bearer) return bearer[1];
  const token = parseOfferedProtocols(header('sec-websocket-protocol')).find((p) => p.startsWith(KEY_SUBPROTOCOL_PREFIX));
  return token?.slice(KEY_SUBPROTOCOL_PREFIX.length);
}

/** Builds the policy from settings; reads the key file. Throws an Error (naming no key) when keys are on but unusable. */
export function createAccessPolicy(given: Partial<AccessSettings> & { host: string }): AccessPolicy {
  const settings: AccessSettings = { ...DEFAULT_ACCESS_SETTINGS, ...definedOnly(given), host: given.host };
  const keyCheck = settings.auth === 'api-key' ? createKeyCheck(loadApiKeys({ file: settings.apiKeysFile, keys: settings.apiKeys })) : undefined;
  const limits: RateLimits = {
    sessionsPerClient: settings.sessionsPerClient,
    requestsPerMinute: settings.requestsPerMinute,
    charsPerMinute: settings.charsPerMinute,
  };
  return {
    keyCheck,
    allowedOrigins: settings.allowedOrigins,
    allowedHosts: settings.allowedHosts,
    listenHost: settings.host,
    limits,
    limiter: createRateLimiter(limits),
    authenticate(header) {
      if (!keyCheck) return undefined;
      const key = presentedKey(header);
      return key === undefined ? undefined : keyCheck(key);
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Whether an HTTP request may be answered without a key: /health (redacted) and the browser page's files. */
export function isOpenRoute(http: Pick<HttpExchange, 'method' | 'path'>): boolean {
  if (http.method !== 'GET' && http.method !== 'HEAD') return false;
  if (http.path === '/health') return true;
  return !http.path.startsWith('/v1/') && http.path !== '/lb-stats' && http.path !== '/metrics';
}
