import uWS from 'uWebSockets.js';
import type { HostedEngine } from '../engine/host/engine-host.js';
import type { Logger } from '../logging/logger.js';
import { TtsError } from '../protocol/errors.js';
import { createAdmission } from './admission.js';
import { describeHealth } from './health.js';
import { StreamSession, type SessionLimits } from './stream-session.js';
import { ResponseGuard } from '../transport/uws/http-io.js';
import { handleTts } from './uws/tts-route.js';
import { waitUntilIdle } from '../service/drain-on-signal.js';
import { attachMetricsRoute } from '../transport/uws/metrics-route.js';
import { attachStaticRoutes } from '../transport/uws/static-route.js';
import { listen } from '../transport/uws/listen.js';
import { attachStreamRoute } from '../transport/uws/websocket-route.js';
import { createWorkerMetrics } from './worker-metrics.js';

/** What `createWorkerServer` needs beyond the engine: the serving subset of the worker config. */
export interface WorkerServerOptions extends SessionLimits {
  host: string;
  /** TCP port; 0 picks a free one (read it from `port` afterwards). */
  port: number;
  gpu: number;
  maxConnections: number;
  maxActiveSyntheses: number;
  maxQueuedRequests: number;
  idleTimeoutSec: number;
}

/** A running worker: its port, and shutdown. */
export interface WorkerServer {
  readonly port: number;
  /** Stops taking new sessions and requests; /health says `draining`. */
  startDraining(): void;
  /** Resolves once no request is generating, or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<void>;
  /** Closes the listener and every connection (1001 going away), and stops the engine. */
  close(): Promise<void>;
}

/** Starts the GPU worker's HTTP and WebSocket server on uWebSockets.js; `logger` is the process root, components take children. */
export function createWorkerServer(options: WorkerServerOptions, engine: HostedEngine, logger: Logger): Promise<WorkerServer> {
  const startedAtMs = Date.now();
  const admission = createAdmission({ maxActive: options.maxActiveSyntheses, maxQueued: options.maxQueuedRequests });
  const metrics = createWorkerMetrics({ active: () => admission.active, queued: () => admission.queued, engineRestarts: () => engine.restarts });
  let draining = false;
  let sessionCount = 0;
  const isAccepting = (): TtsError | undefined => {
    if (draining) return new TtsError('DRAINING', 'worker is shutting down');
    if (engine.state !== 'ready') return new TtsError('NOT_READY', 'engine is loading');
    return undefined;
  };

  const app = uWS.App();
  const stream = attachStreamRoute(app, {
    ...options,
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
  });

  const health = () => describeHealth({ engine, admission, sessions: stream.connections, draining, gpu: options.gpu, startedAtMs });
  app.get('/health', (res) => {
    const report = health();
    new ResponseGuard(res).json(report.status === 'ok' ? 200 : 503, report);
  });
  attachMetricsRoute(app, metrics.registry);
  const ttsLogger = logger.child({ component: 'http' });
  app.post('/v1/tts', (res, req) =>
    handleTts(res, req, { engine, admission, metrics, logger: ttsLogger, maxTextChars: options.maxTextChars, maxBodyBytes: options.maxFrameBytes, isAccepting }),
  );
  app.any('/v1/tts', (res) => new ResponseGuard(res).error(new TtsError('METHOD_NOT_ALLOWED', 'use POST'), { allow: 'POST' }));
  attachStaticRoutes(app);
  app.any('/*', (res, req) => new ResponseGuard(res).error(new TtsError('NOT_FOUND', `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}`)));

  return listen(app, options.host, options.port, logger.child({ component: 'worker' })).then(({ socket, port }) => {
    let listening: uWS.us_listen_socket | undefined = socket;
    logger.info({ component: 'worker', host: options.host, port }, 'worker listening');
    return {
      port,
      startDraining() {
        draining = true;
      },
      whenIdle: (timeoutMs) => waitUntilIdle(() => admission.active > 0 || admission.queued > 0, timeoutMs),
      async close() {
        draining = true;
        if (listening) uWS.us_listen_socket_close(listening);
        listening = undefined;
        stream.closeAll(1001, 'server closing');
        await engine.close();
      },
    };
  });
}
