import type { Registry } from 'prom-client';
import { TtsError } from '../protocol/errors.js';
import { sendError } from './http-exchange.js';
import type { HttpRouter } from './http-router.js';

/** Serves a Prometheus registry at GET /metrics; a collector that throws becomes a 500, not a crash. */
export function attachMetricsRoute(router: HttpRouter, registry: Registry): void {
  router.on('GET', '/metrics', (http) => {
    void registry
      .metrics()
      .then((text) => http.end(200, { 'content-type': registry.contentType }, text))
      .catch((err: unknown) => sendError(http, new TtsError('INTERNAL', `metrics failed: ${(err as Error).message}`)));
  });
}
