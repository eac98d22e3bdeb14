import type { SettingsTable } from './settings.js';

/**
 * The access settings (API keys, origin and host lists, per-client limits) of a server whose variables start with
 * `envPrefix` (`CHATTERBOX_` for a worker, `CHATTERBOX_LB_` for the balancer). docs/security.md says what each defends against.
 */
export function accessSettings<P extends string>(envPrefix: P) {
  return {
    auth: {
      flag: 'auth',
      env: `${envPrefix}AUTH`,
      kind: 'enum',
      default: 'off',
      choices: ['off', 'api-key'],
      description: 'api-key requires an API key (Authorization: Bearer, or a key.<KEY> WebSocket subprotocol) on every route but /health and the browser page.',
    },
    apiKeysFile: {
      flag: 'api-keys-file',
      env: `${envPrefix}API_KEYS_FILE`,
      kind: 'string',
      default: undefined,
      description: 'File of API keys, one per line (# comments and blank lines skipped).',
    },
    apiKeys: {
      flag: 'api-key',
      env: `${envPrefix}API_KEYS`,
      kind: 'list',
      default: [],
      description: 'API keys (comma-separated in the variable; prefer the variable or the file, flags show in ps).',
    },
    allowedOrigins: {
      flag: 'allowed-origin',
      env: `${envPrefix}ALLOWED_ORIGINS`,
      kind: 'list',
      default: [],
      description: 'Browser origins besides the same origin that may use the API and the WebSocket (e.g. https://app.example; * for any).',
    },
    allowedHosts: {
      flag: 'allowed-host',
      env: `${envPrefix}ALLOWED_HOSTS`,
      kind: 'list',
      default: [],
      description: 'Host names besides IP literals, localhost and the listen host that requests may name (* for any).',
    },
    sessionsPerClient: {
      flag: 'limit-sessions',
      env: `${envPrefix}LIMIT_SESSIONS`,
      kind: 'int',
      default: 0,
      min: 0,
      max: 1_000_000,
      description: 'WebSocket sessions one client (API key, or address without keys) may hold at once; 0 for no limit.',
    },
    requestsPerMinute: {
      flag: 'limit-requests-per-min',
      env: `${envPrefix}LIMIT_REQUESTS_PER_MIN`,
      kind: 'int',
      default: 0,
      min: 0,
      max: 1_000_000_000,
      description: 'Synthesis requests per client per minute; 0 for no limit.',
    },
    charsPerMinute: {
      flag: 'limit-chars-per-min',
      env: `${envPrefix}LIMIT_CHARS_PER_MIN`,
      kind: 'int',
      default: 0,
      min: 0,
      max: 1_000_000_000,
      description: 'Characters of text per client per minute; 0 for no limit.',
    },
  } as const satisfies SettingsTable;
}

/** Problems with access settings across fields: keys on with no key source. */
export function checkAccessSettings(values: { auth: string; apiKeysFile: string | undefined; apiKeys: readonly string[] }): string[] {
  if (values.auth === 'api-key' && !values.apiKeysFile && values.apiKeys.length === 0)
    return ['--auth (auth): api-key needs --api-keys-file or the API_KEYS variable'];
  return [];
}
