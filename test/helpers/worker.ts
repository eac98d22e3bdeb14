import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { WorkerConfig } from '../../src/config/worker-config.js';
import { parseWorkerConfig } from '../../src/config/worker-config.js';
import type { EngineSpec } from '../../src/engine/engine-spec.js';
import { createEngineHost, type HostedEngine } from '../../src/engine/host/engine-host.js';
import { createLogger } from '../../src/logging/logger.js';
import { createWorkerServer, type WorkerServer } from '../../src/server/worker-server.js';
import { testTransport } from './transport.js';

/** A worker started in this process on a free loopback port. */
export interface TestWorker {
  server: WorkerServer;
  engine: HostedEngine;
  port: number;
  /** ws://127.0.0.1:PORT/v1/stream */
  wsUrl: string;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  close(): Promise<void>;
}

/** Starts a real worker (engine in its thread, the test transport on port 0); flite unless `engine` says otherwise. */
export async function startTestWorker(settings: Record<string, string> = {}, engineSpec: EngineSpec = { kind: 'flite' }): Promise<TestWorker> {
  const config: WorkerConfig = parseWorkerConfig({ host: '127.0.0.1', port: '0', 'log-level': 'silent', transport: testTransport(), ...settings }, {});
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? config.logLevel });
  const engine = await createEngineHost(engineSpec, logger);
  const server = await createWorkerServer(config, engine, logger);
  return {
    server,
    engine,
    port: server.port,
    wsUrl: `ws://127.0.0.1:${server.port}/v1/stream`,
    httpUrl: `http://127.0.0.1:${server.port}`,
    close: () => server.close(),
  };
}

/**
 * A `chatterbox serve` child process on `options.port` (0, a free one, by default); resolves once it
 * listens (it reports its port over IPC). A fixed port lets a test restart a worker where the balancer expects it.
 */
export async function spawnWorkerProcess(
  args: string[],
  env: Record<string, string> = {},
  options: { port?: number } = {},
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = fork('bin/chatterbox.js', ['serve', '--host', '127.0.0.1', '--port', String(options.port ?? 0), ...args], {
    env: { ...process.env, CHATTERBOX_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`worker exited with ${String(code)} before listening:\n${output}`);
    }),
  ])) as [{ type: string; port: number }];
  return { child, port: message.port, output: () => output };
}
