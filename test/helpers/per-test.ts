// Servers and connections that live as long as one test: started here, closed by `t.after` when it ends.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import type { BalancerServer } from '../../src/balancer/balancer-server.js';
import type { Logger } from '../../src/logging/logger.js';
import { startTestBalancer, testLogger } from './balancer.js';
import { RawStream } from './raw-stream.js';
import { spawnWorkerProcess, startTestWorker, type TestWorker } from './worker.js';

/** A worker of its own for test `t` (flite, `settings` as in startTestWorker), closed after it. */
export async function startTestWorkerFor(t: TestContext, settings: Record<string, string> = {}): Promise<TestWorker> {
  const started = await startTestWorker(settings);
  t.after(() => started.close());
  return started;
}

/** A raw connection to `url` (after its first frame), closed after test `t`. */
export async function openRawStreamFor(t: TestContext, url: string): Promise<RawStream> {
  const stream = await RawStream.open(url);
  t.after(() => stream.close());
  return stream;
}

/** A `chatterbox serve` child process for test `t` (see spawnWorkerProcess), killed after it even if it is stopped. */
export async function spawnWorkerProcessFor(t: TestContext, args: string[], env: Record<string, string> = {}): Promise<{ port: number; child: ChildProcess }> {
  const { child, port } = await spawnWorkerProcess(args, env);
  const exited = once(child, 'exit');
  t.after(async () => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  });
  return { port, child };
}

/** A balancer of its own for test `t` (as startTestBalancer), closed after it. */
export async function startBalancerFor(
  t: TestContext,
  backends: readonly (number | string)[],
  settings: Record<string, string> = {},
  logger: Logger = testLogger(),
): Promise<BalancerServer> {
  const balancer = await startTestBalancer(backends, settings, logger);
  t.after(() => balancer.close());
  return balancer;
}
