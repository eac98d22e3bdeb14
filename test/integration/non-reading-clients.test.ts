import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { HostedEngine } from '../../src/engine/host/engine-host.js';
import type { AudioMessage, ErrorMessage } from '../../src/protocol/messages.js';
import { longText } from '../helpers/audio.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { openRawStreamFor as connect, startBalancerFor, startTestWorkerFor as worker } from '../helpers/per-test.js';
import { pollUntil } from '../helpers/poll.js';
import { withTimeout } from '../helpers/raw-stream.js';
import { socketBufferBytes } from '../helpers/socket-buffers.js';

/** Resolves once `n` requests have taken their first chunk from the worker's engine, i.e. each held a slot. */
function firstChunks(engine: HostedEngine, n: number): Promise<void> {
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const synthesize = engine.synthesize.bind(engine);
  engine.synthesize = (request, signal) => {
    const chunks = synthesize(request, signal);
    return (async function* () {
      let first = true;
      for await (const chunk of chunks) {
        if (first && ++seen === n) done();
        first = false;
        yield chunk;
      }
    })();
  };
  return all;
}

/**
 * kal16 at half speed in f32le, the most bytes per CPU second: twice what the kernel buffers on each of `hops`
 * connections between the worker and a client that does not read.
 */
function unreadRequest(hops = 1): Record<string, unknown> {
  const sentences = Math.min(90, Math.ceil((2 * hops * socketBufferBytes()) / (4.5 * 16000 * 4)));
  return { text: longText(sentences), voice: 'kal16', params: { speed: 0.5 }, format: 'f32le' };
}

interface Health {
  activeRequests: number;
  queuedRequests: number;
  pausedRequests: number;
}

/** Two clients that never read fill both slots of a worker, then one that reads asks for audio, all on `url(port)`. */
async function readerAfterNonReaders(t: TestContext, hops: number, url: (workerPort: number) => Promise<string>): Promise<Health> {
  const w = await worker(t, { 'max-active': '2', 'send-high-water': '16384', 'max-text-chars': '20000' });
  const streamUrl = await url(w.port);
  const started = firstChunks(w.engine, 2);
  for (const id of ['unread-1', 'unread-2']) {
    const silent = await connect(t, streamUrl);
    silent.ws.pause();
    silent.send({ type: 'start', id, ...unreadRequest(hops) });
  }
  await withTimeout(started, 15_000, 'both unread requests to take a slot and generate');

  const reader = await connect(t, streamUrl);
  const result = await reader.speak('read', 'A client that reads its audio.');
  assert.equal(result.end.type, 'done', JSON.stringify(result.end));
  assert.ok(result.audio.length > 0);
  const health = await pollUntil('both unread requests to wait for their clients', async () => {
    const h = jsonOf<Health>(await httpRequest(`${w.httpUrl}/health`));
    return h.pausedRequests === 2 && h;
  });
  assert.equal(health.activeRequests, 0, 'paused requests hold no slot');
  return health;
}

describe('clients that never read', () => {
  it('regression: requests of clients that never read give up their slots, so a client that reads still gets its audio', async (t) => {
    await readerAfterNonReaders(t, 1, async (port) => `ws://127.0.0.1:${port}/v1/stream`);
  });

  it('regression: through the balancer, sessions that never read do not take every slot of the worker behind it', async (t) => {
    await readerAfterNonReaders(t, 2, async (port) => {
      const lb = await startBalancerFor(t, [port], { 'send-high-water': '16384' });
      return `ws://127.0.0.1:${lb.port}/v1/stream`;
    });
  });

  it('a request whose client reads nothing for --stall-timeout ends with exactly one CLIENT_TOO_SLOW error, after every chunk sent before it', async (t) => {
    const w = await worker(t, { 'send-high-water': '16384', 'max-text-chars': '20000', 'stall-timeout': '1' });
    const silent = await connect(t, w.wsUrl);
    silent.ws.pause();
    silent.send({ type: 'start', id: 'stalled', ...unreadRequest() });
    const metrics = async () => (await httpRequest(`${w.httpUrl}/metrics`)).body.toString();
    await pollUntil('the stalled request to fail', async () => /chatterbox_errors_total\{code="CLIENT_TOO_SLOW"\} 1\b/.test(await metrics()), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });

    silent.ws.resume();
    const result = await silent.result('stalled');
    assert.equal(result.end.type, 'error');
    assert.equal((result.end as ErrorMessage).code, 'CLIENT_TOO_SLOW');
    assert.equal((result.end as ErrorMessage).retryable, true);
    assert.deepEqual(
      result.audio.map((a: AudioMessage) => a.seq),
      Array.from({ length: result.audio.length }, (_, i) => i),
    );
    assert.equal(silent.frames.filter((f) => (f.type === 'error' || f.type === 'done') && f.id === 'stalled').length, 1, 'one end, and it is the error');
    const health = jsonOf<Health>(await httpRequest(`${w.httpUrl}/health`));
    assert.deepEqual([health.activeRequests, health.queuedRequests, health.pausedRequests], [0, 0, 0]);
  });
});
