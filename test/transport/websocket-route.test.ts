import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostedEngine } from '../../src/engine/host/engine-host.js';
import type { AudioMessage, DoneMessage } from '../../src/protocol/messages.js';
import { longText } from '../helpers/audio.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { openRawStreamFor as connect, startTestWorkerFor as worker } from '../helpers/per-test.js';
import { summarize, withTimeout } from '../helpers/raw-stream.js';
import { socketBufferBytes } from '../helpers/socket-buffers.js';
import { startTestWorker } from '../helpers/worker.js';

interface EngineRequestCount {
  /** Chunks the worker has taken from the engine; it sends each as one frame right away. */
  pulled: number;
  /** True once the engine produced the request's last chunk. */
  finished: boolean;
  firstChunk: Promise<void>;
}

/** Watches the worker's real engine: one counter per request, in the order the worker starts them. */
function countEngineChunks(engine: HostedEngine): { requests: EngineRequestCount[]; started: (n: number) => Promise<EngineRequestCount> } {
  const requests: EngineRequestCount[] = [];
  const waiters: Array<() => void> = [];
  const synthesize = engine.synthesize.bind(engine);
  engine.synthesize = (request, signal) => {
    const chunks = synthesize(request, signal);
    let first!: () => void;
    const counter: EngineRequestCount = { pulled: 0, finished: false, firstChunk: new Promise<void>((resolve) => (first = resolve)) };
    requests.push(counter);
    for (const wake of waiters.splice(0)) wake();
    return (async function* () {
      for await (const chunk of chunks) {
        counter.pulled += 1;
        first();
        yield chunk;
      }
      counter.finished = true;
    })();
  };
  const started = async (n: number): Promise<EngineRequestCount> => {
    while (requests.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    return requests[n - 1]!;
  };
  return { requests, started };
}

describe('connection limit', () => {
  it('refuses a connection over max-connections with a SERVER_BUSY frame, then close 1013', async (t) => {
    const w = await worker(t, { 'max-connections': '2' });
    const first = await connect(t, w.wsUrl);
    await connect(t, w.wsUrl);
    const refused = await connect(t, w.wsUrl);
    assert.deepEqual(refused.first, { type: 'error', code: 'SERVER_BUSY', message: 'worker has reached its 2 connections', retryable: true });
    assert.deepEqual(await refused.closed, { code: 1013, reason: 'SERVER_BUSY' });

    await first.close();
    const again = await connect(t, w.wsUrl);
    assert.equal(again.first.type, 'ready', 'a closed connection frees its place');
  });
});

describe('backpressure', () => {
  it('pauses a request while its client does not read, and delivers every frame in order once it does', async (t) => {
    const w = await worker(t, { 'send-high-water': '16384' });
    const engine = countEngineChunks(w.engine);
    // kal16 at half speed is the cheapest audio per CPU second; f32le doubles the bytes per sample.
    const request = { voice: 'kal16', params: { speed: 0.5 }, format: 'f32le' };
    const bytesPerSentence = 4.5 * 16000 * 4;
    const sentences = Math.min(90, Math.ceil((2 * socketBufferBytes()) / bytesPerSentence));
    const text = longText(sentences);

    const reference = await connect(t, w.wsUrl);
    const paused = await connect(t, w.wsUrl);
    paused.ws.pause();
    paused.send({ type: 'start', id: 'slow', text, ...request });
    const slow = await withTimeout(engine.started(1), 10_000, 'the paused request to start');
    await withTimeout(slow.firstChunk, 10_000, 'the paused request to produce audio');

    // The same text on a connection that reads is the clock: without backpressure the paused request,
    // started first and interleaved with it on the engine thread, would finish no later than it.
    const full = await reference.speak('fast', text, request);
    assert.equal(full.end.type, 'done');
    const total = (full.end as DoneMessage).chunks;
    const stalledAt = slow.pulled;
    t.diagnostic(`${sentences} sentences, ${total} frames; the unread request stopped after ${stalledAt}`);
    assert.equal(slow.finished, false, 'the engine ran the unread request to its end');
    assert.ok(stalledAt < total, `the unread request pulled ${stalledAt} of ${total} chunks`);
    const health = jsonOf<{ activeRequests: number; pausedRequests: number }>(await httpRequest(`${w.httpUrl}/health`));
    assert.equal(health.pausedRequests, 1, 'the request waits for its client');
    assert.equal(health.activeRequests, 0, 'and holds no generation slot meanwhile');

    paused.ws.resume();
    const result = await paused.result('slow', 30_000);
    assert.equal(result.end.type, 'done');
    const done = result.end as DoneMessage;
    const { seqs, samples } = summarize(result);
    assert.deepEqual(
      seqs,
      Array.from({ length: total }, (_, i) => i),
    );
    assert.equal(done.chunks, total);
    assert.equal(done.samples, samples);
    assert.equal(done.samples, (full.end as DoneMessage).samples);
    assert.ok(slow.finished);
    assert.ok(result.audio.every((a: AudioMessage) => a.pcm.byteLength === a.samples * 4));
  });
});

describe('draining', () => {
  it('refuses new connections with DRAINING and close 1012, and new requests on open ones, while one in flight completes', async (t) => {
    const w = await worker(t);
    const open = await connect(t, w.wsUrl);
    open.send({ type: 'start', id: 'inflight', text: longText(6), voice: 'kal16' });
    await open.waitFor((f) => f.type === 'audio' && f.id === 'inflight');
    w.server.startDraining();

    const refused = await connect(t, w.wsUrl);
    assert.equal(refused.first.type === 'error' && refused.first.code, 'DRAINING');
    assert.equal((await refused.closed).code, 1012);

    open.send({ type: 'start', id: 'late', text: 'Too late.' });
    const late = await open.result('late');
    assert.equal(late.end.type === 'error' && late.end.code, 'DRAINING');
    assert.equal(late.audio.length, 0);

    const inflight = await open.result('inflight');
    assert.equal(inflight.end.type, 'done');
    assert.equal((inflight.end as DoneMessage).cancelled, false);
    const health = await httpRequest(`${w.httpUrl}/health`);
    assert.equal(health.status, 503);
    assert.equal(jsonOf<{ status: string }>(health).status, 'draining');
  });
});

describe('shutdown', () => {
  it('closes open connections with 1001 going away', async (t) => {
    const w = await startTestWorker();
    const stream = await connect(t, w.wsUrl);
    await w.close();
    assert.deepEqual(await stream.closed, { code: 1001, reason: 'server closing' });
  });
});
