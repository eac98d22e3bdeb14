import { readSettings, type SettingsOf, type SettingsTable } from './settings.js';
import { accessSettings, checkAccessSettings } from './access-settings.js';
import { LOG_FORMAT_SETTING, LOG_LEVEL_SETTING } from './log-settings.js';
import { TRANSPORT_SETTING } from './transport-setting.js';

/** Every setting of `chatterbox balance`. */
export const BALANCER_SETTINGS = {
  host: { flag: 'host', env: 'CHATTERBOX_LB_HOST', kind: 'string', default: '0.0.0.0', description: 'Address to listen on.' },
  port: { flag: 'port', env: 'CHATTERBOX_LB_PORT', kind: 'int', default: 6095, min: 0, max: 65535, description: 'TCP port (0 picks a free one).' },
  backends: {
    flag: 'backend',
    env: 'CHATTERBOX_BACKENDS',
    kind: 'list',
    default: ['ws://127.0.0.1:6093', 'ws://127.0.0.1:6094'],
    description: 'Worker URLs (repeat the flag, or comma-separate in the variable).',
  },
  healthIntervalMs: {
    flag: 'health-interval-ms',
    env: 'CHATTERBOX_LB_HEALTH_INTERVAL_MS',
    kind: 'int',
    default: 2000,
    min: 50,
    max: 600_000,
    description: 'How often each worker’s /health is polled, in ms.',
  },
  healthTimeoutMs: {
    flag: 'health-timeout-ms',
    env: 'CHATTERBOX_LB_HEALTH_TIMEOUT_MS',
    kind: 'int',
    default: 1000,
    min: 10,
    max: 60_000,
    description: 'A /health answer slower than this counts as a failure, in ms.',
  },
  rise: {
    flag: 'rise',
    env: 'CHATTERBOX_LB_RISE',
    kind: 'int',
    default: 2,
    min: 1,
    max: 100,
    description: 'Good checks in a row before a down worker is used again.',
  },
  fall: {
    flag: 'fall',
    env: 'CHATTERBOX_LB_FALL',
    kind: 'int',
    default: 3,
    min: 1,
    max: 100,
    description: 'Failed checks in a row before a worker is taken out.',
  },
  maxSessionsPerBackend: {
    flag: 'max-sessions-per-backend',
    env: 'CHATTERBOX_LB_MAX_SESSIONS_PER_BACKEND',
    kind: 'int',
    default: 512,
    min: 1,
    max: 1_000_000,
    description: 'Sessions this balancer pins to one worker at most.',
  },
  maxConnections: {
    flag: 'max-connections',
    env: 'CHATTERBOX_LB_MAX_CONNECTIONS',
    kind: 'int',
    default: 4096,
    min: 1,
    max: 1_000_000,
    description: 'Client WebSockets open at once; more are refused with 1013.',
  },
  maxFrameBytes: {
    flag: 'max-frame-bytes',
    env: 'CHATTERBOX_LB_MAX_FRAME_BYTES',
    kind: 'int',
    default: 65536,
    min: 1024,
    max: 16_777_216,
    description: 'Largest client frame or HTTP body relayed, in bytes.',
  },
  maxUploadBytes: {
    flag: 'max-upload-bytes',
    env: 'CHATTERBOX_LB_MAX_UPLOAD_BYTES',
    kind: 'int',
    default: 10_485_760,
    min: 1024,
    max: 268_435_456,
    description: 'Largest upload relayed (POST /v1/voices, /synthesize with an audio_prompt), in bytes.',
  },
  voicesSync: {
    flag: 'voices-sync',
    env: 'CHATTERBOX_LB_VOICES_SYNC',
    kind: 'enum',
    default: 'shared-dir',
    choices: ['shared-dir', 'fanout'],
    description:
      'How a voice upload or delete reaches every worker: shared-dir (workers share one voices directory: one worker makes the change) or fanout (each worker has its own: every worker gets it, and each answer is reported).',
  },
  idleTimeoutSec: {
    flag: 'idle-timeout',
    env: 'CHATTERBOX_LB_IDLE_TIMEOUT_SEC',
    kind: 'int',
    default: 120,
    min: 1,
    max: 3600,
    description: 'Close a client WebSocket with no traffic in either direction and no request in flight for this long, in seconds.',
  },
  connectTimeoutMs: {
    flag: 'connect-timeout-ms',
    env: 'CHATTERBOX_LB_CONNECT_TIMEOUT_MS',
    kind: 'int',
    default: 5000,
    min: 100,
    max: 120_000,
    description: 'Time for a worker to accept a session and send ready, in ms.',
  },
  sendHighWaterBytes: {
    flag: 'send-high-water',
    env: 'CHATTERBOX_LB_SEND_HIGH_WATER_BYTES',
    kind: 'int',
    default: 262_144,
    min: 1024,
    max: 67_108_864,
    description: 'Client send buffer at which the worker link pauses, in bytes.',
  },
  maxSendBufferBytes: {
    flag: 'max-send-buffer',
    env: 'CHATTERBOX_LB_MAX_SEND_BUFFER_BYTES',
    kind: 'int',
    default: 16_777_216,
    min: 65_536,
    max: 1_073_741_824,
    description: 'Most bytes one client WebSocket may leave unread; past it the client gets CLIENT_TOO_SLOW and is closed (1008).',
  },
  progressTimeoutMs: {
    flag: 'progress-timeout-ms',
    env: 'CHATTERBOX_LB_PROGRESS_TIMEOUT_MS',
    kind: 'int',
    default: 20_000,
    min: 0,
    max: 3_600_000,
    description:
      'A worker that sends nothing this long while requests are in flight (and the client reads) has stalled: requests with no audio yet are replayed elsewhere, the rest end with BACKEND_LOST, in ms (0: never).',
  },
  linkIdleMs: {
    flag: 'link-idle-ms',
    env: 'CHATTERBOX_LB_LINK_IDLE_MS',
    kind: 'int',
    default: 10_000,
    min: 0,
    max: 3_600_000,
    description: 'A session’s worker connection with no request in flight is closed after this long (the next request opens one), in ms.',
  },
  drainTimeoutSec: {
    flag: 'drain-timeout',
    env: 'CHATTERBOX_LB_DRAIN_TIMEOUT_SEC',
    kind: 'int',
    default: 30,
    min: 0,
    max: 3600,
    description: 'On SIGTERM, how long sessions may finish their requests, in seconds.',
  },
  transport: TRANSPORT_SETTING,
  ...accessSettings('CHATTERBOX_LB_'),
  workerApiKey: {
    flag: 'worker-api-key',
    env: 'CHATTERBOX_LB_WORKER_API_KEY',
    kind: 'string',
    default: undefined,
    description: 'API key the balancer presents to workers that require one (its own key; client keys are not forwarded).',
  },
  logLevel: LOG_LEVEL_SETTING,
  logFormat: LOG_FORMAT_SETTING,
} as const satisfies SettingsTable;

export type BalancerConfig = SettingsOf<typeof BALANCER_SETTINGS>;

/** Validated, frozen balancer settings; throws ConfigError naming each bad one (including bad backend URLs). */
export function parseBalancerConfig(
  flags: Record<string, string | string[] | boolean | undefined>,
  env: Record<string, string | undefined> = process.env,
): BalancerConfig {
  return readSettings(BALANCER_SETTINGS, flags, env, (config) => [
    ...checkAccessSettings(config),
    ...config.backends.flatMap((url) => {
      try {
        const parsed = new URL(url);
        return parsed.protocol === 'ws:' || parsed.protocol === 'wss:' ? [] : [`--backend (backends): '${url}' must be a ws:// or wss:// URL`];
      } catch {
        return [`--backend (backends): '${url}' is not a URL`];
      }
    }),
  ]);
}
