// Capacity through a real worker (issue 12): /health's remainingCapacity goes down as requests run and back up after
// they end, a request beyond real time is refused with a retryable SERVER_BUSY (WebSocket and HTTP) while the running
// ones finish, and a batching engine's measured rates cross the engine thread into /health.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineCapacity } from '../../src/engine/engine-capacity.js';
import type { WorkerHealth } from '../../src/server/health.js';
import { longText } from '../helpers/audio.js';
import { startCapacityWorker } from '../helpers/capacity-worker.js';
import { httpRequest, postJson } from '../helpers/http.js';
import { openRawStreamFor } from '../helpers/per-test.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import { startTestWorker } from '../helpers/worker.js';

/** Two requests keep real time (30 tokens/s each), a third would not (20 each). */
const TWO_REAL_TIME: EngineCapacity = {
  minTokensPerSec: 25,
  tokensPerSecByBatch: [
    [1, 60],
    [2, 30],
    [3, 20],
  ],
};

describe('capacity in /health and admission', { timeout: 60_000 }, () => {
  it('counts remaining real-time requests down and back up, and refuses the one that would slow the others', async (t) => {
    const worker = await startCapacityWorker(t, TWO_REAL_TIME, { 'capacity-wait-ms': '0' });
    const idle = await worker.health();
    assert.equal(idle.remainingCapacity, 2);
    assert.deepEqual(idle.capacityEstimate, { minTokensPerSec: 25, nextRequestTokensPerSec: 60, tokensPerSecByBatch: { '1': 60, '2': 30, '3': 20 } });

    const client = await openRawStreamFor(t, worker.wsUrl);
    client.send({ type: 'start', id: 'a', text: longText(4) });
    await client.waitFor((f) => f.type === 'audio' && f.id === 'a');
    assert.equal((await worker.health()).remainingCapacity, 1);
    client.send({ type: 'start', id: 'b', text: longText(4) });
    await client.waitFor((f) => f.type === 'audio' && f.id === 'b');
    const full = await worker.health();
    assert.equal(full.remainingCapacity, 0);
    assert.equal(full.activeRequests, 2);

    client.send({ type: 'start', id: 'c', text: 'Hello.' });
    const refused = await client.waitFor((f) => f.type === 'error' && f.id === 'c');
    assert.deepEqual([refused.type === 'error' && refused.code, refused.type === 'error' && refused.retryable], ['SERVER_BUSY', true]);
    const overHttp = await postJson(`${worker.httpUrl}/v1/tts`, { text: 'Hello.' });
    assert.equal(overHttp.status, 503);
    assert.equal(overHttp.headers['retry-after'], '1');
    assert.equal(JSON.parse(overHttp.body.toString()).error.code, 'SERVER_BUSY');

    worker.release();
    for (const id of ['a', 'b']) assert.equal((await client.result(id)).end.type, 'done', `request ${id} finished`);
    const after = await worker.health();
    assert.equal(after.activeRequests, 0);
    assert.equal(after.remainingCapacity, 2);
  });

  it("carries a batching engine's measured rates from its thread into /health", async (t) => {
    const dir = await ensureTinyModel();
    const worker = await startTestWorker(
      {},
      { kind: 'chatterbox', modelDir: dir, device: 'cpu', dtype: 'fp32', gpu: 0, decode: 'fused', admitTokensPerSec: 1 },
    );
    t.after(() => worker.close());
    const health = async () => JSON.parse((await httpRequest(`${worker.httpUrl}/health`)).body.toString()) as WorkerHealth;
    const before = await health();
    assert.equal(before.capacityEstimate, null, 'nothing measured before the first request');
    assert.equal(before.remainingCapacity, null);

    const client = await openRawStreamFor(t, worker.wsUrl);
    client.send({ type: 'start', id: 'one', text: 'Hello there, measure me.', params: { seed: 5 } });
    assert.equal((await client.result('one')).end.type, 'done');
    const after = await health();
    assert.equal(after.capacityEstimate?.minTokensPerSec, 1);
    assert.ok((after.capacityEstimate?.tokensPerSecByBatch['1'] ?? 0) > 0, JSON.stringify(after.capacityEstimate));
    assert.equal(typeof after.remainingCapacity, 'number');
  });

  it('with --measure-capacity startup, knows its rate before the first request', async (t) => {
    const dir = await ensureTinyModel();
    const spec = {
      kind: 'chatterbox',
      modelDir: dir,
      device: 'cpu',
      dtype: 'fp32',
      gpu: 0,
      decode: 'fused',
      admitTokensPerSec: 1,
      measureCapacity: true,
    } as const;
    const worker = await startTestWorker({}, spec);
    t.after(() => worker.close());
    const report = JSON.parse((await httpRequest(`${worker.httpUrl}/health`)).body.toString()) as WorkerHealth;
    assert.equal(report.activeRequests, 0);
    assert.ok((report.capacityEstimate?.tokensPerSecByBatch['1'] ?? 0) > 0, JSON.stringify(report.capacityEstimate));
  });
});
