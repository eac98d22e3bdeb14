import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostedEngine } from '../engine/host/engine-host.js';
import type { Logger } from '../logging/logger.js';
import { TtsError } from '../protocol/errors.js';
import { waitUntilIdle } from '../service/drain-on-signal.js';
import { sendError, sendJson } from '../transport/http-exchange.js';
import { createHttpRouter } from '../transport/http-router.js';
import { loadTransport, logTransport } from '../transport/load-transport.js';
import { attachMetricsRoute } from '../transport/metrics-route.js';
import { attachStaticRoutes } from '../transport/static-route.js';
import { createAccessPolicy, type AccessSettings } from '../transport/access/access-policy.js';
import { guardHttp } from '../transport/access/http-guard.js';
import { createUpgradeGate } from '../transport/access/upgrade-gate.js';
import type { TransportChoice } from '../transport/transport.js';
import { createAdmission } from './admission.js';
import { attachApiDescriptionRoutes } from './api-description/api-description-routes.js';
import { describeHealth } from './health.js';
import { StreamSession, type SessionLimits } from './stream-session.js';
import { attachOpenAiRoutes } from './openai/openai-routes.js';
import { handleTts, type HttpSynthesisDeps } from './tts-route.js';
import { createWorkerMetrics } from './worker-metrics.js';
import { createAudioFiles } from './original/audio-files.js';
import { attachOriginalRoutes } from './original/original-routes.js';
import { withVoiceLibrary } from './voices/library-engine.js';
import { attachVoiceRoutes } from './voices/voice-routes.js';
import { createVoiceStore } from './voices/voice-store.js';

/** What `createWorkerServer` needs beyond the engine: the serving subset of the worker config. */
export interface WorkerServerOptions extends SessionLimits, Partial<Omit<AccessSettings, 'host'>> {
  host: string;
  /** TCP port; 0 picks a free one (read it from `port` afterwards). */
  port: number;
  gpu: number;
  maxConnections: number;
  maxActiveSyntheses: number;
  maxQueuedRequests: number;
  /** Longest wait (ms) of a request the engine's real-time capacity holds back; DEFAULT_CAPACITY_WAIT_MS when absent. */
  capacityWaitMs?: number;
  idleTimeoutSec: number;
  /** Most bytes one WebSocket may leave unread before it is closed with CLIENT_TOO_SLOW. */
  maxSendBufferBytes: number;
  /** HTTP and WebSocket adapter; `auto` when absent. */
  transport?: string;
  /** The voice library's directory (the engine's voices dir); without it uploads are refused. */
  voicesDir?: string | undefined;
  /** Largest upload (voice clip, form with a reference clip), in bytes; default 10 MiB. */
  maxUploadBytes?: number;
  /** Shortest and longest reference clip accepted, in seconds; default 5 and 30. */
  minVoiceSec?: number;
  maxVoiceSec?: number;
  /** Where `/synthesize` keeps its WAV files; default `<tmp>/chatterbox-audio`. */
  audioDir?: string | undefined;
  /** How long those files are served before they are deleted, in seconds; default 3600. */
  audioTtlSec?: number;
}

/** Upload limits when the options leave them out. */
export const DEFAULT_UPLOAD_LIMITS = { maxUploadBytes: 10 * 1024 * 1024, minVoiceSec: 5, maxVoiceSec: 30 };

/** How long `/synthesize` files live when the options leave it out, in seconds. */
const DEFAULT_AUDIO_TTL_SEC = 3600;

/** A running worker: its port, and shutdown. */
export interface WorkerServer {
  readonly port: number;
  /** The adapter serving it: 'uws' or 'node'. */
  readonly transport: string;
  /** Stops taking new sessions and requests; /health says `draining`. */
  startDraining(): void;
  /** Resolves once no request is generating, or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<void>;
  /** Closes the listener and every connection (1001 going away), and stops the engine. */
  close(): Promise<void>;
}

/**
 * Starts the GPU worker's HTTP and WebSocket server on the adapter `options.transport` chooses; `logger` is the
 * process root, components take children. Rejects with PortInUseError when another process holds the port.
 */
export async function createWorkerServer(options: WorkerServerOptions, hostedEngine: HostedEngine, logger: Logger): Promise<WorkerServer> {
  const startedAtMs = Date.now();
  const store = options.voicesDir === undefined || hostedEngine.info.voiceCloning !== true ? undefined : createVoiceStore(options.voicesDir);
  const engine = store ? withVoiceLibrary(hostedEngine, store) : hostedEngine;
  const access = createAccessPolicy(options);
  const admission = createAdmission({
    maxActive: options.maxActiveSyntheses,
    maxQueued: options.maxQueuedRequests,
    capacity: () => engine.capacity,
    ...(options.capacityWaitMs === undefined ? {} : { capacityWaitMs: options.capacityWaitMs }),
  });
  engine.onCapacityChange(() => admission.recheck());
  const metrics = createWorkerMetrics({ active: () => admission.active, queued: () => admission.queued, engineRestarts: () => engine.restarts });
  let draining = false;
  let sessionCount = 0;
  const isAccepting = (): TtsError | undefined => {
    if (draining) return new TtsError('DRAINING', 'worker is shutting down');
    if (engine.state !== 'ready') return new TtsError('NOT_READY', 'engine is loading');
    return undefined;
  };
  const workerLogger = logger.child({ component: 'worker' });
  const loaded = await loadTransport((options.transport ?? 'auto') as TransportChoice);
  logTransport(loaded, workerLogger);
  const transportName = loaded.transport.name;

  const router = createHttpRouter();
  let sessions = () => 0;
  const health = (full: boolean) =>
    describeHealth({ engine, admission, sessions: sessions(), draining, gpu: options.gpu, startedAtMs, transport: transportName, full });
  const authenticated = new WeakSet<object>();
  router.on('GET', '/health', (http) => {
    const report = health(authenticated.has(http));
    sendJson(http, report.status === 'ok' ? 200 : 503, report);
  });
  attachMetricsRoute(router, metrics.registry);
  const ttsLogger = logger.child({ component: 'http' });
  const synthesisDeps: HttpSynthesisDeps = {
    engine,
    admission,
    metrics,
    logger: ttsLogger,
    maxTextChars: options.maxTextChars,
    maxBodyBytes: options.maxFrameBytes,
    stallTimeoutMs: options.stallTimeoutSec * 1000,
    isAccepting,
  };
  router.on('POST', '/v1/tts', (http) => handleTts(http, synthesisDeps));
  router.on('*', '/v1/tts', (http) => sendError(http, new TtsError('METHOD_NOT_ALLOWED', 'use POST'), { allow: 'POST' }));
  attachOpenAiRoutes(router, synthesisDeps);
  attachApiDescriptionRoutes(router);
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_UPLOAD_LIMITS.maxUploadBytes;
  const clipLimits = { minSec: options.minVoiceSec ?? DEFAULT_UPLOAD_LIMITS.minVoiceSec, maxSec: options.maxVoiceSec ?? DEFAULT_UPLOAD_LIMITS.maxVoiceSec };
  attachVoiceRoutes(router, { engine, store, maxUploadBytes, clipLimits, logger: logger.child({ component: 'voices' }) });
  const audioFiles = createAudioFiles({ dir: options.audioDir ?? join(tmpdir(), 'chatterbox-audio'), ttlSec: options.audioTtlSec ?? DEFAULT_AUDIO_TTL_SEC });
  attachOriginalRoutes(router, {
    engine,
    admission,
    metrics,
    files: audioFiles,
    logger: ttsLogger,
    maxTextChars: options.maxTextChars,
    maxUploadBytes,
    clipLimits,
    stallTimeoutMs: options.stallTimeoutSec * 1000,
    isAccepting,
  });
  attachStaticRoutes(router);

  const server = await loaded.transport.serve({
    host: options.host,
    port: options.port,
    logger: workerLogger,
    http: guardHttp(access, (http, isAuthenticated) => {
      if (isAuthenticated) authenticated.add(http);
      router.handle(http);
    }),
    stream: {
      gate: createUpgradeGate(access),
      maxConnections: options.maxConnections,
      maxFrameBytes: options.maxFrameBytes,
      idleTimeoutSec: options.idleTimeoutSec,
      sendHighWaterBytes: options.sendHighWaterBytes,
      maxSendBufferBytes: options.maxSendBufferBytes,
      isAccepting,
      logger: logger.child({ component: 'ws' }),
      createSession: (connection) =>
        new StreamSession(connection, {
          engine,
          admission,
          limits: options,
          metrics,
          isAccepting,
          logger: logger.child({ component: 'session', sessionId: ++sessionCount }),
        }),
      onOpen: () => metrics.connectionOpened(),
      onClose: () => metrics.connectionClosed(),
    },
  });
  sessions = () => server.connections;
  workerLogger.info({ host: options.host, port: server.port, transport: transportName }, 'worker listening');
  return {
    port: server.port,
    transport: transportName,
    startDraining() {
      draining = true;
    },
    whenIdle: (timeoutMs) => waitUntilIdle(() => admission.active > 0 || admission.queued > 0 || admission.paused > 0, timeoutMs),
    async close() {
      draining = true;
      server.stopListening();
      server.closeAll(1001, 'server closing');
      audioFiles.close();
      await engine.close();
    },
  };
}
