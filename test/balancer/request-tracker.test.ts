import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestTracker } from '../../src/balancer/request-tracker.js';
import { encodeFrame } from '../../src/protocol/codec.js';

const start = (id: string) => encodeFrame({ type: 'start', id, text: 'Hello.' });
/** Frame bytes as plain numbers: msgpackr hangs a DataView on the buffers it returns, which deepEqual would compare. */
const bytes = (frame: Uint8Array | undefined) => (frame === undefined ? undefined : Array.from(frame));
const cancel = (id: string) => encodeFrame({ type: 'cancel', id });
const streamedStart = (id: string) => encodeFrame({ type: 'start', id, text: '', input: 'stream' });
const text = (id: string, words: string) => encodeFrame({ type: 'text', id, text: words });

function tracker(...ids: string[]): RequestTracker {
  const t = new RequestTracker();
  for (const id of ids) assert.equal(t.fromClient(start(id), 'start'), id);
  return t;
}

describe('RequestTracker', () => {
  it('tracks well-formed starts once; a duplicate id or a bad frame is left to the worker', () => {
    const t = tracker('a');
    assert.equal(t.fromClient(start('a'), 'start'), undefined);
    assert.equal(t.fromClient(new Uint8Array([0xc1]), 'start'), undefined);
    assert.equal(t.fromClient(start('b'), undefined), undefined, 'frames of unknown type are not read');
    assert.equal(t.size, 1);
    assert.equal(t.awaitingAudio, 1);
  });

  it('counts requests waiting for audio down once per request, whatever ends them', () => {
    const t = tracker('a', 'b', 'c');
    t.audioArrived('a');
    t.audioArrived('a');
    assert.equal(t.awaitingAudio, 2);
    t.end('a');
    t.end('b');
    t.end('b');
    t.end('unknown');
    assert.equal(t.awaitingAudio, 1);
    assert.equal(t.size, 1);
    assert.equal(t.isAwaitingAudio('c'), true);
    assert.equal(t.isAwaitingAudio('a'), false);
  });

  it('plans a failover: started requests are lost, cancelled ones end, the rest replay in order', () => {
    const t = tracker('playing', 'queued', 'cancelled', 'queued2');
    t.audioArrived('playing');
    t.fromClient(cancel('cancelled'), 'cancel');
    t.fromClient(cancel('playing'), 'cancel');
    const plan = t.planFailover();
    assert.deepEqual(plan.lost, ['playing']);
    assert.deepEqual(plan.cancelled, ['cancelled']);
    assert.deepEqual(plan.replay.map(bytes), [bytes(start('queued')), bytes(start('queued2'))]);
    assert.equal(t.size, 2, 'replayed requests stay tracked');
    assert.equal(t.awaitingAudio, 2);
  });

  it('names the sole request with no audio yet, and only then', () => {
    const t = tracker('a');
    assert.deepEqual(t.soleUnstarted('a')?.map(bytes), [bytes(start('a'))]);
    t.fromClient(start('b'), 'start');
    assert.equal(t.soleUnstarted('a'), undefined, 'another request still runs');
    t.end('b');
    t.audioArrived('a');
    assert.equal(t.soleUnstarted('a'), undefined, 'audio has started');
  });

  it('replays a streamed request with all its input received so far, in order, while it has no audio', () => {
    const t = new RequestTracker();
    const frames = [
      streamedStart('s'),
      text('s', 'Hello'),
      encodeFrame({ type: 'flush', id: 's' }),
      text('s', ' there.'),
      encodeFrame({ type: 'end', id: 's' }),
    ];
    assert.equal(t.fromClient(frames[0]!, 'start'), 's');
    for (const [index, type] of (['text', 'flush', 'text', 'end'] as const).entries()) assert.equal(t.fromClient(frames[index + 1]!, type), undefined);
    assert.equal(t.fromClient(text('unknown', 'x'), 'text'), undefined, 'input for a request not tracked is left to the worker');
    assert.deepEqual(t.soleUnstarted('s')?.map(bytes), frames.map(bytes));
    assert.deepEqual(t.planFailover().replay.map(bytes), frames.map(bytes));
  });

  it('once audio has started, input is no longer kept: the request cannot move', () => {
    const t = new RequestTracker();
    t.fromClient(streamedStart('s'), 'start');
    t.audioArrived('s');
    t.fromClient(text('s', 'more'), 'text');
    assert.deepEqual(t.planFailover(), { lost: ['s'], replay: [], cancelled: [] });
  });
});

describe('RequestTracker: what the worker owes', () => {
  it('a streamed request with its input open is owed nothing; once its input ends, it is', () => {
    const t = tracker('whole');
    t.fromClient(encodeFrame({ type: 'start', id: 's', text: '', input: 'stream' }), 'start');
    assert.equal(t.size, 2);
    assert.equal(t.owing, 1);
    t.fromClient(encodeFrame({ type: 'end', id: 's' }), 'end');
    assert.equal(t.owing, 2);
  });
});
