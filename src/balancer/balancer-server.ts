import type { BalancerConfig } from '../config/balancer-config.js';
import type { Logger } from '../logging/logger.js';
import { TtsError } from '../protocol/errors.js';
import { waitUntilIdle } from '../service/drain-on-signal.js';
import { sendJson, type HttpExchange } from '../transport/http-exchange.js';
import { createHttpRouter } from '../transport/http-router.js';
import { loadTransport, logTransport } from '../transport/load-transport.js';
import { attachMetricsRoute } from '../transport/metrics-route.js';
import { attachStaticRoutes } from '../transport/static-route.js';
import { createAccessPolicy } from '../transport/access/access-policy.js';
import { guardHttp } from '../transport/access/http-guard.js';
import { createUpgradeGate } from '../transport/access/upgrade-gate.js';
import type { TransportChoice } from '../transport/transport.js';
import { createBackendPool, type BackendPool } from './backend-pool.js';
import { createBalancerMetrics } from './balancer-metrics.js';
import { describeStats, formatStatsText } from './lb-stats.js';
import { RelaySession } from './relay-session.js';
import { isUploadPath, proxyToWorker } from './proxy-route.js';
import { fanOutToWorkers } from './voice-fanout.js';
import { serveAudioFromAnyWorker } from './audio-lookup.js';
import { workerAuthHeaders } from './worker-auth.js';

/** A running balancer. */
export interface BalancerServer {
  readonly port: number;
  readonly pool: BackendPool;
  /** The adapter serving it: 'uws' or 'node'. */
  readonly transport: string;
  /** Stops taking new sessions; /health says `draining`. */
  startDraining(): void;
  /** Resolves once no relayed request is in flight, or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<void>;
  /** Closes the listener and every session with `code` (1012 after a drain, 1001 otherwise). */
  close(code?: number): Promise<void>;
}

/** Starts the load balancer: WebSocket relay on /v1/stream, /health, /lb-stats, /metrics, and an HTTP proxy for the rest. */
export async function createBalancerServer(config: Omit<BalancerConfig, 'logLevel'>, logger: Logger): Promise<BalancerServer> {
  const startedAtMs = Date.now();
  const access = createAccessPolicy(config);
  const pool = createBackendPool({ ...config, urls: [...config.backends] }, logger.child({ component: 'pool' }));
  await pool.checkAll();
  const sessions = new Set<RelaySession>();
  const metrics = createBalancerMetrics(pool, () => sessions.size);
  let draining = false;
  const isAccepting = () => (draining ? new TtsError('DRAINING', 'balancer is shutting down') : undefined);

  const balancerLogger = logger.child({ component: 'balancer' });
  const loaded = await loadTransport(config.transport as TransportChoice).catch((err: unknown) => {
    pool.stop();
    throw err;
  });
  logTransport(loaded, balancerLogger);
  const transportName = loaded.transport.name;

  let sessionCount = () => 0;
  const clientBufferedBytes = () => [...sessions].reduce((n, s) => n + s.bufferedBytes, 0);
  const stats = () =>
    describeStats({
      backends: pool.backends,
      poolTotals: pool.totals,
      sessions: sessionCount(),
      clientBufferedBytes: clientBufferedBytes(),
      draining,
      startedAtMs,
    });
  const router = createHttpRouter();
  router.on('GET', '/health', (http) => {
    const s = stats();
    const body = {
      status: s.status,
      healthyBackends: s.healthyBackends,
      totalBackends: s.totalBackends,
      sessions: s.sessions,
      uptimeSec: s.uptimeSec,
      version: s.version,
      transport: transportName,
    };
    sendJson(http, s.status === 'down' || s.status === 'draining' ? 503 : 200, body);
  });
  router.on('GET', '/lb-stats', (http) => {
    if (new URLSearchParams(http.query).get('format') === 'text')
      http.end(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, formatStatsText(stats()));
    else sendJson(http, 200, stats());
  });
  attachMetricsRoute(router, metrics.registry);
  const proxyLogger = logger.child({ component: 'proxy' });
  attachStaticRoutes(router);
  const workerHeaders = workerAuthHeaders(config.workerApiKey);
  const proxy = (http: HttpExchange) =>
    proxyToWorker(http, {
      pool,
      logger: proxyLogger,
      maxBodyBytes: isUploadPath(http.path) ? config.maxUploadBytes : config.maxFrameBytes,
      progressTimeoutMs: config.progressTimeoutMs,
      isAccepting,
      workerHeaders,
    });
  if (config.voicesSync === 'fanout') {
    const fanOut = (http: HttpExchange) =>
      fanOutToWorkers(http, {
        pool,
        logger: proxyLogger,
        maxBodyBytes: config.maxUploadBytes,
        progressTimeoutMs: config.progressTimeoutMs,
        workerHeaders,
        isAccepting,
      });
    router.on('POST', '/v1/voices', fanOut);
    router.onPrefix('DELETE', '/v1/voices/', fanOut);
  }
  router.onPrefix('GET', '/audio/', (http) => serveAudioFromAnyWorker(http, { pool, workerHeaders, timeoutMs: config.progressTimeoutMs }));
  router.otherwise(proxy);

  const relayLogger = logger.child({ component: 'relay' });
  const activeRequests = () => [...sessions].reduce((n, s) => n + s.activeRequests, 0);
  const server = await loaded.transport
    .serve({
      host: config.host,
      port: config.port,
      logger: balancerLogger,
      http: guardHttp(access, (http) => router.handle(http)),
      stream: {
        gate: createUpgradeGate(access),
        maxConnections: config.maxConnections,
        maxFrameBytes: config.maxFrameBytes,
        idleTimeoutSec: config.idleTimeoutSec,
        sendHighWaterBytes: config.sendHighWaterBytes,
        maxSendBufferBytes: config.maxSendBufferBytes,
        isAccepting,
        logger: relayLogger,
        createSession: (connection) => {
          const session: RelaySession = new RelaySession(connection, { pool, options: config, logger: relayLogger, onClosed: () => sessions.delete(session) });
          sessions.add(session);
          return session;
        },
        onOpen: () => undefined,
        onClose: () => undefined,
      },
    })
    .catch((err: unknown) => {
      pool.stop();
      throw err;
    });
  sessionCount = () => server.connections;
  balancerLogger.info(
    { host: config.host, port: server.port, backends: config.backends, healthy: pool.healthy, transport: transportName },
    'balancer listening',
  );
  return {
    port: server.port,
    pool,
    transport: transportName,
    startDraining() {
      draining = true;
    },
    whenIdle: (timeoutMs) => waitUntilIdle(() => activeRequests() > 0, timeoutMs),
    async close(code = 1001) {
      draining = true;
      pool.stop();
      server.stopListening();
      server.closeAll(code, code === 1012 ? 'balancer restarting' : 'balancer closing');
    },
  };
}
