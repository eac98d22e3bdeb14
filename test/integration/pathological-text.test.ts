import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { AudioMessage, DoneMessage } from '../../src/protocol/messages.js';
import { openRawStreamFor } from '../helpers/per-test.js';
import { RawStream } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// Regression: one unbroken "word" of thousands of characters held the flite worker for 16–35 s; a short request on
// another connection waited up to 56 s for its first audio, and a cancel took effect only after the run.

let worker: TestWorker;
before(async () => {
  worker = await startTestWorker();
});
after(() => worker.close());

function connect(t: TestContext): Promise<RawStream> {
  return openRawStreamFor(t, worker.wsUrl);
}

/** The most audio one flite run makes on any text (the bound the flite engine tests check). */
const MAX_RUN_SECONDS = 10;

const isEnd = (id: string) => (f: { type: string; id?: string }) => (f.type === 'done' || f.type === 'error') && f.id === id;

describe('pathological text on a worker', () => {
  for (const [name, text] of [
    ['9×4000', '9'.repeat(4000)],
    ['a×5000', 'a'.repeat(5000)],
  ] as const) {
    it(`${name}: another connection's request is served while it runs, and a cancel ends it within the run in progress`, async (t) => {
      const slow = await connect(t);
      const other = await connect(t);
      slow.send({ type: 'start', id: 'slow', text });
      await slow.waitFor((f) => f.type === 'audio' && f.id === 'slow');

      const short = await other.speak('short', 'Hello there.');
      assert.equal(short.end.type, 'done');
      assert.ok(short.audio.length > 0);
      assert.ok(!slow.frames.some(isEnd('slow')), 'the short request finished while the pathological one still ran');

      // Cancel on the next frame as it arrives, as a client that stops playback does.
      let cancelSentAt = -1;
      slow.onFrame = (frame) => {
        if (cancelSentAt < 0 && frame.type === 'audio' && frame.id === 'slow') {
          slow.send({ type: 'cancel', id: 'slow' });
          cancelSentAt = slow.frames.length;
        }
      };
      const result = await slow.result('slow');
      assert.equal(result.end.type, 'done');
      assert.equal((result.end as DoneMessage).cancelled, true);
      const late = slow.frames.slice(cancelSentAt).filter((f): f is AudioMessage => f.type === 'audio' && f.id === 'slow');
      const lateSeconds = late.reduce((sum, f) => sum + f.samples, 0) / slow.ready.sampleRate;
      t.diagnostic(`${result.audio.length} frames in all, ${late.length} (${lateSeconds.toFixed(1)} s) after the cancel`);
      // A run's audio is yielded in one burst of one-second chunks, already on its way when the cancel is sent: what
      // may follow is the rest of one run (at most 10 s, see the flite engine tests) and the two chunks of credit.
      assert.ok(lateSeconds <= MAX_RUN_SECONDS + 2, `${lateSeconds.toFixed(1)} s of audio arrived after the cancel`);
    });
  }

  for (const [name, text] of [
    ['emoji×5000', '😀'.repeat(2500)],
    ['.×5000', '.'.repeat(5000)],
  ] as const) {
    it(`${name}: ends with done, not an error`, async (t) => {
      const stream = await connect(t);
      const result = await stream.speak('p', text);
      assert.equal(result.end.type, 'done', JSON.stringify(result.end));
      assert.equal((result.end as DoneMessage).cancelled, false);
    });
  }
});
