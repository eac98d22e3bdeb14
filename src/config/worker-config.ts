import { readSettings, type SettingsOf, type SettingsTable } from './settings.js';

/** Every setting of `chatterbox serve`: flag, environment variable, range and default. */
export const WORKER_SETTINGS = {
  host: { flag: 'host', env: 'CHATTERBOX_HOST', kind: 'string', default: '0.0.0.0', description: 'Address to listen on.' },
  port: { flag: 'port', env: 'CHATTERBOX_PORT', kind: 'int', default: 6093, min: 0, max: 65535, description: 'TCP port (0 picks a free one).' },
  gpu: { flag: 'gpu', env: 'CHATTERBOX_GPU', kind: 'int', default: 0, min: 0, max: 63, description: 'GPU index (CUDA device id) this worker serves.' },
  modelDir: { flag: 'model', env: 'CHATTERBOX_MODEL_DIR', kind: 'string', default: undefined, description: 'Chatterbox ONNX model directory; without it the embedded Flite voice is used.' },
  device: { flag: 'device', env: 'CHATTERBOX_DEVICE', kind: 'enum', default: 'auto', choices: ['auto', 'cpu', 'cuda', 'webgpu'], description: 'Execution provider for the Chatterbox model.' },
  dtype: { flag: 'dtype', env: 'CHATTERBOX_DTYPE', kind: 'enum', default: 'fp32', choices: ['fp32', 'fp16', 'q8', 'q4', 'q4f16'], description: 'Model file variant to load.' },
  decode: { flag: 'decode', env: 'CHATTERBOX_DECODE', kind: 'enum', default: 'auto', choices: ['auto', 'fused', 'step'], description: 'Generation loop: fused (several decode steps per ONNX run, cache kept inside the runtime), step (one run per token), or auto (fused where the model allows, else step, with the reason logged).' },
  fusedCacheDir: { flag: 'fused-cache-dir', env: 'CHATTERBOX_FUSED_CACHE_DIR', kind: 'string', default: undefined, description: 'Where the built fused decode graph is kept between starts (default: the user cache dir, then the temp dir).' },
  maxBatch: { flag: 'max-batch', env: 'CHATTERBOX_MAX_BATCH', kind: 'int', default: 8, min: 1, max: 256, description: 'Most requests sharing one fused decode run (continuous batching); more take turns.' },
  admitTokensPerSec: { flag: 'admit-tokens-per-sec', env: 'CHATTERBOX_ADMIT_TOKENS_PER_SEC', kind: 'int', default: -1, min: -1, max: 10_000, description: 'With the fused decode graph, admit another request only while every running one keeps this many speech tokens/s (25 = real time), else SERVER_BUSY (retryable); 0 admits all; -1: 25 on a GPU, 0 on CPU.' },
  voicesDir: { flag: 'voices-dir', env: 'CHATTERBOX_VOICES_DIR', kind: 'string', default: undefined, description: 'Directory of reference voices (*.wav, named by file stem) for the Chatterbox engine.' },
  firstChunkTokens: { flag: 'first-chunk-tokens', env: 'CHATTERBOX_FIRST_CHUNK_TOKENS', kind: 'int', default: 10, min: 1, max: 500, description: 'Speech tokens before the first audio chunk (25 tokens = 1 s).' },
  chunkTokens: { flag: 'chunk-tokens', env: 'CHATTERBOX_CHUNK_TOKENS', kind: 'int', default: 25, min: 1, max: 1000, description: 'Speech tokens per later audio chunk.' },
  contextTokens: { flag: 'context-tokens', env: 'CHATTERBOX_CONTEXT_TOKENS', kind: 'int', default: 25, min: 0, max: 1000, description: 'Already-emitted tokens re-decoded before each chunk for seamless joins; raised to cover the decoder’s 40 ms fade-in plus the crossfade.' },
  crossfadeMs: { flag: 'crossfade-ms', env: 'CHATTERBOX_CROSSFADE_MS', kind: 'int', default: 20, min: 0, max: 200, description: 'Crossfade at each chunk seam, in ms (at most the context length).' },
  maxTextChars: { flag: 'max-text-chars', env: 'CHATTERBOX_MAX_TEXT_CHARS', kind: 'int', default: 5000, min: 1, max: 1_000_000, description: 'Longest text accepted per request, in characters.' },
  maxFrameBytes: { flag: 'max-frame-bytes', env: 'CHATTERBOX_MAX_FRAME_BYTES', kind: 'int', default: 65536, min: 1024, max: 16_777_216, description: 'Largest client WebSocket frame or HTTP body, in bytes.' },
  maxRequestsPerConnection: { flag: 'max-requests-per-connection', env: 'CHATTERBOX_MAX_REQUESTS_PER_CONNECTION', kind: 'int', default: 4, min: 1, max: 1000, description: 'Requests in flight at once on one WebSocket.' },
  maxConnections: { flag: 'max-connections', env: 'CHATTERBOX_MAX_CONNECTIONS', kind: 'int', default: 1024, min: 1, max: 1_000_000, description: 'Open WebSocket connections at once; more are refused with 1013.' },
  maxActiveSyntheses: { flag: 'max-active', env: 'CHATTERBOX_MAX_ACTIVE', kind: 'int', default: 8, min: 1, max: 1024, description: 'Requests generating at once; later ones wait in the queue.' },
  maxQueuedRequests: { flag: 'max-queued', env: 'CHATTERBOX_MAX_QUEUED', kind: 'int', default: 64, min: 0, max: 100_000, description: 'Requests waiting for a generation slot; more are refused with SERVER_BUSY.' },
  idleTimeoutSec: { flag: 'idle-timeout', env: 'CHATTERBOX_IDLE_TIMEOUT_SEC', kind: 'int', default: 120, min: 8, max: 3600, description: 'Close a WebSocket with no traffic for this long, in seconds.' },
  sendHighWaterBytes: { flag: 'send-high-water', env: 'CHATTERBOX_SEND_HIGH_WATER_BYTES', kind: 'int', default: 262_144, min: 1024, max: 67_108_864, description: 'Per-connection send buffer at which a request pauses until the client reads, in bytes.' },
  drainTimeoutSec: { flag: 'drain-timeout', env: 'CHATTERBOX_DRAIN_TIMEOUT_SEC', kind: 'int', default: 30, min: 0, max: 3600, description: 'On SIGTERM, how long running requests may finish before exit, in seconds.' },
  logLevel: { flag: 'log-level', env: 'CHATTERBOX_LOG_LEVEL', kind: 'enum', default: 'info', choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], description: 'Minimum log level.' },
  logFormat: { flag: 'log-format', env: 'CHATTERBOX_LOG_FORMAT', kind: 'enum', default: 'auto', choices: ['auto', 'json', 'journal'], description: 'Log line format: json, journal (each line starts with <priority> for journald), or auto (journal when stdout is the systemd journal).' },
} as const satisfies SettingsTable;

export type WorkerConfig = SettingsOf<typeof WORKER_SETTINGS>;

/** Validated, frozen worker settings from flags and environment; throws ConfigError naming each bad one. */
export function parseWorkerConfig(
  flags: Record<string, string | string[] | boolean | undefined>,
  env: Record<string, string | undefined> = process.env,
): WorkerConfig {
  return readSettings(WORKER_SETTINGS, flags, env);
}
