import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestTracker } from '../../src/balancer/request-tracker.js';
import { encodeFrame } from '../../src/protocol/codec.js';

const start = (id: string) => encodeFrame({ type: 'start', id, text: 'Hello.' });
/** Frame bytes as plain numbers: msgpackr hangs a DataView on the buffers it returns, which deepEqual would compare. */
const bytes = (frame: Uint8Array | undefined) => (frame === undefined ? undefined : Array.from(frame));
const cancel = (id: string) => encodeFrame({ type: 'cancel', id });

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
    assert.deepEqual(bytes(t.soleUnstarted('a')), bytes(start('a')));
    t.fromClient(start('b'), 'start');
    assert.equal(t.soleUnstarted('a'), undefined, 'another request still runs');
    t.end('b');
    t.audioArrived('a');
    assert.equal(t.soleUnstarted('a'), undefined, 'audio has started');
  });
});
