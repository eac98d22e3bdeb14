// A real worker whose engine reports a throughput estimate the test sets: admission and capacity reporting can be
// driven with known rates instead of this machine's speed.
import type { TestContext } from 'node:test';
import { parseWorkerConfig } from '../../src/config/worker-config.js';
import type { EngineCapacity } from '../../src/engine/engine-capacity.js';
import { createEngineHost, type HostedEngine } from '../../src/engine/host/engine-host.js';
import { createLogger } from '../../src/logging/logger.js';
import type { WorkerHealth } from '../../src/server/health.js';
import { createWorkerServer } from '../../src/server/worker-server.js';
import { httpRequest, jsonOf } from './http.js';
import { testTransport } from './transport.js';

/** A worker started for one test, its engine reporting a fixed estimate. */
export interface CapacityWorker {
  /** ws://127.0.0.1:PORT/v1/stream */
  wsUrl: string;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  health(): Promise<WorkerHealth>;
  /** Lets every request held after its first chunk go on. */
  release(): void;
}

/**
 * Starts a Flite worker (closed after test `t`) whose engine reports `estimate` as its measured capacity and holds
 * every chunk after a request's first until `release()`, so requests stay in flight as long as the test wants.
 */
export async function startCapacityWorker(t: TestContext, estimate: EngineCapacity, settings: Record<string, string> = {}): Promise<CapacityWorker> {
  const config = parseWorkerConfig({ host: '127.0.0.1', port: '0', 'log-level': 'silent', transport: testTransport(), ...settings }, {});
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const host = await createEngineHost({ kind: 'flite' }, logger);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const engine: HostedEngine = Object.create(host, {
    capacity: { get: () => estimate },
    synthesize: {
      value: (request: Parameters<HostedEngine['synthesize']>[0], signal: AbortSignal) => {
        const chunks = host.synthesize(request, signal);
        return (async function* () {
          let taken = 0;
          for await (const chunk of chunks) {
            if (taken++ > 0) await released;
            yield chunk;
          }
        })();
      },
    },
  });
  const server = await createWorkerServer(config, engine, logger);
  t.after(() => {
    release();
    return server.close();
  });
  const httpUrl = `http://127.0.0.1:${server.port}`;
  return {
    wsUrl: `ws://127.0.0.1:${server.port}/v1/stream`,
    httpUrl,
    health: async () => jsonOf<WorkerHealth>(await httpRequest(`${httpUrl}/health`)),
    release,
  };
}
