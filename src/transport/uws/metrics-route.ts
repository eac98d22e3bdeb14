import type { Registry } from 'prom-client';
import type { TemplatedApp } from 'uWebSockets.js';
import { TtsError } from '../../protocol/errors.js';
import { ResponseGuard } from './http-io.js';

/** Serves a Prometheus registry at GET /metrics; a collector that throws becomes a 500, not a crash. */
export function attachMetricsRoute(app: TemplatedApp, registry: Registry): void {
  app.get('/metrics', (res) => {
    const http = new ResponseGuard(res);
    void registry
      .metrics()
      .then((text) => http.end(200, { 'content-type': registry.contentType }, text))
      .catch((err: unknown) => http.error(new TtsError('INTERNAL', `metrics failed: ${(err as Error).message}`)));
  });
}
