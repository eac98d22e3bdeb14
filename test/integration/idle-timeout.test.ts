import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import WebSocket from 'ws';
import type { HostedEngine } from '../../src/engine/host/engine-host.js';
import type { DoneMessage } from '../../src/protocol/messages.js';
import { longText } from '../helpers/audio.js';
import { openRawStreamFor as connect, startBalancerFor, startTestWorkerFor as worker } from '../helpers/per-test.js';
import type { RawStream } from '../helpers/raw-stream.js';
import { summarize } from '../helpers/raw-stream.js';

/**
 * Holds every chunk after a request's first until `release()`: a request that stays in flight, its client
 * silent, as long as the test wants (a long text on a slow engine, without the wait).
 */
function holdAfterFirstChunk(engine: HostedEngine): { release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const synthesize = engine.synthesize.bind(engine);
  engine.synthesize = (request, signal) => {
    const chunks = synthesize(request, signal);
    return (async function* () {
      let taken = 0;
      for await (const chunk of chunks) {
        if (taken++ > 0) await released;
        yield chunk;
      }
    })();
  };
  return { release };
}

/**
 * Starts a request on `url`, and once its first audio arrived opens a second connection that sends nothing: when
 * the server cuts that one for idling, the first has been silent longer. Then lets the request finish.
 */
async function listenPastIdleTimeout(t: TestContext, url: string, hold: { release: () => void }): Promise<RawStream> {
  const listener = await connect(t, url);
  listener.send({ type: 'start', id: 'long', text: longText(4), voice: 'kal16' });
  await listener.waitFor((f) => f.type === 'audio' && f.id === 'long');
  const idler = await connect(t, url);
  assert.equal((await idler.closed).code, 1006, 'a connection with no traffic and no request is cut');
  assert.equal(listener.ws.readyState, WebSocket.OPEN, 'the connection with a request in flight stays open');
  hold.release();
  const result = await listener.result('long');
  assert.equal(result.end.type, 'done', JSON.stringify(result.end));
  const { seqs } = summarize(result);
  assert.deepEqual(
    seqs,
    Array.from({ length: (result.end as DoneMessage).chunks }, (_, i) => i),
  );
  assert.ok(seqs.length > 1, 'audio came after the idle timeout');
  assert.deepEqual(
    listener.frames.filter((f) => f.type === 'error'),
    [],
  );
  return listener;
}

describe('idle timeout', () => {
  it('regression: a request streaming to a client that sends nothing outlives --idle-timeout; an idle connection does not', async (t) => {
    const w = await worker(t, { 'idle-timeout': '1' });
    const hold = holdAfterFirstChunk(w.engine);
    t.after(hold.release);
    await listenPastIdleTimeout(t, w.wsUrl, hold);
  });

  it('regression: through the balancer, neither it nor the worker cuts a stream whose client sends nothing, and the worker stays up', async (t) => {
    const w = await worker(t, { 'idle-timeout': '1' });
    const hold = holdAfterFirstChunk(w.engine);
    t.after(hold.release);
    const lb = await startBalancerFor(t, [w.port], { 'idle-timeout': '1', 'health-interval-ms': '100', fall: '1' });
    await listenPastIdleTimeout(t, `ws://127.0.0.1:${lb.port}/v1/stream`, hold);
    const [backend] = lb.pool.backends;
    assert.equal(backend!.state, 'up');
    assert.equal(backend!.failovers, 0);
  });
});
