import uWS from 'uWebSockets.js';
import type { BalancerConfig } from '../config/balancer-config.js';
import type { Logger } from '../logging/logger.js';
import { TtsError } from '../protocol/errors.js';
import { ResponseGuard } from '../transport/uws/http-io.js';
import { waitUntilIdle } from '../service/drain-on-signal.js';
import { attachMetricsRoute } from '../transport/uws/metrics-route.js';
import { attachStaticRoutes } from '../transport/uws/static-route.js';
import { listen } from '../transport/uws/listen.js';
import { attachStreamRoute } from '../transport/uws/websocket-route.js';
import { createBackendPool, type BackendPool } from './backend-pool.js';
import { createBalancerMetrics } from './balancer-metrics.js';
import { describeStats, formatStatsText } from './lb-stats.js';
import { RelaySession } from './relay-session.js';
import { proxyToWorker } from './uws/proxy-route.js';

/** A running balancer. */
export interface BalancerServer {
  readonly port: number;
  readonly pool: BackendPool;
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
  const pool = createBackendPool({ ...config, urls: [...config.backends] }, logger.child({ component: 'pool' }));
  await pool.checkAll();
  const sessions = new Set<RelaySession>();
  const metrics = createBalancerMetrics(() => pool.backends, () => sessions.size);
  let draining = false;
  const isAccepting = () => (draining ? new TtsError('DRAINING', 'balancer is shutting down') : undefined);

  const app = uWS.App();
  const relayLogger = logger.child({ component: 'relay' });
  const stream = attachStreamRoute(app, {
    maxConnections: config.maxConnections,
    maxFrameBytes: config.maxFrameBytes,
    idleTimeoutSec: config.idleTimeoutSec,
    sendHighWaterBytes: config.sendHighWaterBytes,
    isAccepting,
    logger: relayLogger,
    createSession: (connection) => {
      const session: RelaySession = new RelaySession(connection, { pool, options: config, logger: relayLogger, metrics, onClosed: () => sessions.delete(session) });
      sessions.add(session);
      return session;
    },
    onOpen: () => undefined,
    onClose: () => undefined,
  });

  const clientBufferedBytes = () => [...sessions].reduce((n, s) => n + s.bufferedBytes, 0);
  const stats = () => describeStats({ backends: pool.backends, sessions: stream.connections, clientBufferedBytes: clientBufferedBytes(), draining, startedAtMs });
  app.get('/health', (res) => {
    const s = stats();
    const body = { status: s.status, healthyBackends: s.healthyBackends, totalBackends: s.totalBackends, sessions: s.sessions, uptimeSec: s.uptimeSec, version: s.version };
    new ResponseGuard(res).json(s.status === 'down' || s.status === 'draining' ? 503 : 200, body);
  });
  app.get('/lb-stats', (res, req) => {
    const http = new ResponseGuard(res);
    if (req.getQuery('format') === 'text') http.end(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, formatStatsText(stats()));
    else http.json(200, stats());
  });
  attachMetricsRoute(app, metrics.registry);
  const proxyLogger = logger.child({ component: 'proxy' });
  attachStaticRoutes(app);
  app.any('/*', (res, req) => proxyToWorker(res, req, { pool, logger: proxyLogger, maxBodyBytes: config.maxFrameBytes, isAccepting, onNoBackend: metrics.noBackend }));

  const activeRequests = () => [...sessions].reduce((n, s) => n + s.activeRequests, 0);
  const listening = await listen(app, config.host, config.port, logger.child({ component: 'balancer' })).catch((err: unknown) => {
    pool.stop();
    throw err;
  });
  let listenSocket: uWS.us_listen_socket | undefined = listening.socket;
  logger.info({ component: 'balancer', host: config.host, port: listening.port, backends: config.backends, healthy: pool.healthy }, 'balancer listening');
  return {
    port: listening.port,
    pool,
    startDraining() {
      draining = true;
    },
    whenIdle: (timeoutMs) => waitUntilIdle(() => activeRequests() > 0, timeoutMs),
    async close(code = 1001) {
      draining = true;
      pool.stop();
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = undefined;
      stream.closeAll(code, code === 1012 ? 'balancer restarting' : 'balancer closing');
    },
  };
}
