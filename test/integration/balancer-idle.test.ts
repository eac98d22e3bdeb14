import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LbStats } from '../../src/balancer/lb-stats.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { startBalancerFor } from '../helpers/per-test.js';
import { pollUntil } from '../helpers/poll.js';
import { RawStream } from '../helpers/raw-stream.js';
import { spawnWorkerProcess } from '../helpers/worker.js';

// In a file of its own because it waits out a real idle timeout (8 s, the shortest uWS allows), in parallel with the rest.
describe('balancer: idle sessions', () => {
  it('regression: a worker timing out the idle link of a session the client keeps alive with pings is not marked down', async (t) => {
    const worker = await spawnWorkerProcess(['--idle-timeout', '8', '--log-level', 'warn']);
    t.after(() => worker.child.kill('SIGKILL'));
    const balancer = await startBalancerFor(t, [worker.port], { 'health-interval-ms': '100', rise: '2', fall: '1' });
    const stats = async () => jsonOf<LbStats>(await httpRequest(`http://127.0.0.1:${balancer.port}/lb-stats`));

    const stream = await RawStream.open(`ws://127.0.0.1:${balancer.port}/v1/stream`);
    t.after(() => stream.close());
    assert.equal((await stream.speak('first', 'Hello.')).end.type, 'done');
    // The protocol's advice for idle connections: pings keep the client's connection to the balancer open.
    const pinger = setInterval(() => stream.ws.ping(), 1_000);
    t.after(() => clearInterval(pinger));
    await pollUntil('the worker to time out the idle link', async () => (await stats()).backends[0]!.sessions === 0, { timeoutMs: 30_000, intervalMs: 200 });

    const s = await stats();
    assert.equal(s.backends[0]!.state, 'up', 'an idle link timing out is no worker failure');
    assert.equal(s.backends[0]!.lastError, null);
    assert.equal(s.totals.failovers, 0);
    assert.equal(s.sessions, 1, 'the client is still connected');
    assert.equal((await stream.speak('second', 'Hello again.')).end.type, 'done', 'the session re-attaches on its next request');
  });
});
