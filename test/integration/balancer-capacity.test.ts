// The balancer pins a new session where it will keep up (issue 12): a worker reporting real-time room left wins over
// a less loaded one reporting none, and /lb-stats shows each worker's room.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LbStats } from '../../src/balancer/lb-stats.js';
import { longText } from '../helpers/audio.js';
import { startCapacityWorker, type CapacityWorker } from '../helpers/capacity-worker.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { openRawStreamFor, startBalancerFor } from '../helpers/per-test.js';
import { pollUntil } from '../helpers/poll.js';

/** Starts `n` requests on `worker` directly and waits for each one's first audio: they stay in flight, held. */
async function holdRequests(t: Parameters<typeof openRawStreamFor>[0], worker: CapacityWorker, n: number): Promise<void> {
  const client = await openRawStreamFor(t, worker.wsUrl);
  for (let i = 0; i < n; i++) {
    client.send({ type: 'start', id: `held${i}`, text: longText(4) });
    await client.waitFor((f) => f.type === 'audio' && f.id === `held${i}`);
  }
}

it('pins a new session to the worker with real-time room, not to the less loaded one without', { timeout: 60_000 }, async (t) => {
  // Worker 0: one request running, a second would get 20 tokens/s: no room, load 1/8.
  const full = await startCapacityWorker(t, {
    minTokensPerSec: 25,
    tokensPerSecByBatch: [
      [1, 30],
      [2, 20],
    ],
  });
  // Worker 1: two running, room for two more at 40 and 30 tokens/s: load 2/8.
  const roomy = await startCapacityWorker(t, {
    minTokensPerSec: 25,
    tokensPerSecByBatch: [
      [1, 60],
      [2, 50],
      [3, 40],
      [4, 30],
    ],
  });
  await holdRequests(t, full, 1);
  await holdRequests(t, roomy, 2);
  const balancer = await startBalancerFor(t, [full.wsUrl.replace('/v1/stream', ''), roomy.wsUrl.replace('/v1/stream', '')], { 'health-interval-ms': '100' });
  const stats = async () => jsonOf<LbStats>(await httpRequest(`http://127.0.0.1:${balancer.port}/lb-stats`));
  let last: LbStats | undefined;
  await pollUntil(
    'both workers up with their room reported',
    async () => {
      last = await stats();
      return last.backends.every((b) => b.state === 'up') && last.backends.map((b) => b.remainingCapacity).join() === '0,2';
    },
    { describe: () => last?.backends.map((b) => [b.state, b.remainingCapacity, b.loadScore]) },
  );
  assert.ok(last!.backends[0]!.loadScore < last!.backends[1]!.loadScore, 'the worker without room is the less loaded one');
  const text = (await httpRequest(`http://127.0.0.1:${balancer.port}/lb-stats?format=text`)).body.toString();
  assert.match(text, / room /);

  const client = await openRawStreamFor(t, `ws://127.0.0.1:${balancer.port}/v1/stream`);
  client.send({ type: 'start', id: 'new', text: longText(4) });
  await client.waitFor((f) => f.type === 'audio' && f.id === 'new');
  assert.deepEqual([(await full.health()).activeRequests, (await roomy.health()).activeRequests], [1, 3], 'the new request runs on the worker with room');
  full.release();
  roomy.release();
  assert.equal((await client.result('new')).end.type, 'done');
});
