import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import type { BalancerServer } from '../../src/balancer/balancer-server.js';
import type { LbStats } from '../../src/balancer/lb-stats.js';
import { createLogger } from '../../src/logging/logger.js';
import type { ErrorMessage } from '../../src/protocol/messages.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { RawStream, assertCompleted, pcmOf } from '../helpers/raw-stream.js';
import { spawnWorkerProcessFor, startBalancerFor } from '../helpers/per-test.js';

// Streamed input through a real balancer to real worker processes: relayed and pinned like any frame, and replayed
// whole (start, then all the text so far) when the worker is lost before the first audio.
const REPLY = 'The weather is fine today. We could walk to the river, or stay in and read.';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function startWorker(t: TestContext, args: string[] = []): Promise<{ port: number; child: ChildProcess }> {
  return spawnWorkerProcessFor(t, ['--log-level', 'warn', '--input-max-delay-ms', '60000', ...args]);
}

function startBalancer(t: TestContext, backends: number[], settings: Record<string, string> = {}): Promise<BalancerServer> {
  return startBalancerFor(t, backends, { 'health-interval-ms': '60000', ...settings }, logger);
}

async function open(t: TestContext, balancer: BalancerServer): Promise<RawStream> {
  const stream = await RawStream.open(`ws://127.0.0.1:${balancer.port}/v1/stream`);
  t.after(() => stream.close());
  return stream;
}

function sendStreamed(stream: RawStream, id: string, text: string): void {
  stream.send({ type: 'start', id, input: 'stream' });
  for (const word of text.split(/(?= )/u)) stream.send({ type: 'text', id, text: word });
  stream.send({ type: 'end', id });
}

describe('streamed input through the balancer', () => {
  it('is relayed to the session’s worker and spoken like the whole text', async (t) => {
    const worker = await startWorker(t);
    const stream = await open(t, await startBalancer(t, [worker.port]));
    const whole = await stream.speak('whole', REPLY);
    sendStreamed(stream, 'fed', REPLY);
    const fed = await stream.result('fed');
    assertCompleted(fed);
    assert.ok(pcmOf(fed).equals(pcmOf(whole)));
  });

  it('a worker lost before the first audio: the request is replayed elsewhere with all its text', async (t) => {
    const workers = [await startWorker(t), await startWorker(t)];
    const balancer = await startBalancer(
      t,
      workers.map((w) => w.port),
      { 'progress-timeout-ms': '500' },
    );
    const stream = await open(t, balancer);
    const whole = await stream.speak('whole', REPLY);
    const s = jsonOf<LbStats>(await httpRequest(`http://127.0.0.1:${balancer.port}/lb-stats`));
    const victim = workers[s.backends.findIndex((b) => b.sessions === 1)]!;
    victim.child.kill('SIGSTOP');
    sendStreamed(stream, 'fed', REPLY);
    const fed = await stream.result('fed');
    assertCompleted(fed);
    assert.ok(pcmOf(fed).equals(pcmOf(whole)), 'every word reached the next worker, once');
    assert.deepEqual(
      stream.frames.filter((f) => f.type === 'error'),
      [],
      'the client never sees the failover',
    );
    const after = jsonOf<LbStats>(await httpRequest(`http://127.0.0.1:${balancer.port}/lb-stats`));
    assert.equal(after.totals.replayedRequests, 1);
  });

  it('a worker waiting for more text is no stalled worker: the request outlives the progress deadline', async (t) => {
    const worker = await startWorker(t, ['--input-idle-timeout', '1']);
    const stream = await open(t, await startBalancer(t, [worker.port], { 'progress-timeout-ms': '200' }));
    stream.send({ type: 'start', id: 'waiting', input: 'stream', text: 'Hello there.' });
    stream.send({ type: 'text', id: 'waiting', text: ' And' });
    // The worker ends the request itself after its input idle timeout (1 s), long past the balancer's deadline.
    const result = await stream.result('waiting');
    assert.equal(result.end.type, 'error');
    assert.equal((result.end as ErrorMessage).code, 'INPUT_TIMEOUT');
    assert.ok(result.audio.length > 0, 'the first sentence was spoken');
  });
});
