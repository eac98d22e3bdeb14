import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ERROR_CODES } from '../../src/protocol/errors.js';
import type { DoneMessage, ErrorMessage } from '../../src/protocol/messages.js';
import { samplesOf } from '../helpers/audio.js';
import { jsonOf, postJson } from '../helpers/http.js';
import { openRawStreamFor } from '../helpers/per-test.js';
import { RawStream, assertCompleted } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// params.speed through a real worker: the engine thread's engine is wrapped in the tempo stretch, so the WebSocket
// and HTTP routes, `ready` and the metrics all see the stretched audio.
const SENTENCE = 'The quick brown fox jumps over the lazy dog.';

let worker: TestWorker;
before(async () => {
  worker = await startTestWorker();
});
after(() => worker.close());

function connect(t: TestContext): Promise<RawStream> {
  return openRawStreamFor(t, worker.wsUrl);
}

/** Samples flite makes for SENTENCE at `speed` over the WebSocket, with the `done` frame. */
async function spoken(stream: RawStream, id: string, speed: number): Promise<{ samples: Float32Array; done: DoneMessage }> {
  const result = await stream.speak(id, SENTENCE, { params: { speed } });
  const done = assertCompleted(result);
  return { samples: samplesOf(result.audio.map((a) => a.pcm)), done };
}

describe('params.speed through the worker', { timeout: 60_000 }, () => {
  it('ready reports speed over 0.25..4 with default 1', async (t) => {
    const stream = await connect(t);
    assert.deepEqual(stream.ready.params['speed'], { min: 0.25, max: 4, default: 1 });
  });

  it('WebSocket: speed 4 is speed 2 stretched to half, and done counts the stretched audio', async (t) => {
    const stream = await connect(t);
    const atTwo = await spoken(stream, 'two', 2);
    const atFour = await spoken(stream, 'four', 4);
    assert.equal(atFour.samples.length, Math.round(atTwo.samples.length / 2));
    assert.equal(atFour.done.samples, atFour.samples.length);
    assert.equal(atFour.done.metrics.audioMs, Math.round((atFour.samples.length / stream.ready.sampleRate) * 1000));
    assert.ok(atFour.done.metrics.rtf > 0);
  });

  it('HTTP /v1/tts: speed 0.25 is twice speed 0.5, and speed 1 is the same bytes as over the WebSocket', async (t) => {
    const pcm = async (speed: number) => {
      const result = await postJson(`${worker.httpUrl}/v1/tts?format=pcm`, { text: SENTENCE, params: { speed } });
      assert.equal(result.status, 200, result.body.toString());
      return result.body;
    };
    const [slowest, half] = [await pcm(0.25), await pcm(0.5)];
    assert.equal(slowest.byteLength, 2 * half.byteLength, 'round(samples at 0.5 / 0.5): twice as many s16 bytes');
    const stream = await connect(t);
    const streamed = await stream.speak('one', SENTENCE, { params: { speed: 1 } });
    assert.deepEqual(await pcm(1), Buffer.concat(streamed.audio.map((a) => a.pcm)));
  });

  it('a speed out of 0.25..4 is a coded BAD_PARAM on both routes', async (t) => {
    const stream = await connect(t);
    for (const speed of [0.2, 4.5]) {
      const result = await stream.speak(`bad-${speed}`, SENTENCE, { params: { speed } });
      const end = result.end as ErrorMessage;
      assert.equal(end.type, 'error');
      assert.equal(end.code, 'BAD_PARAM');
      assert.match(end.message, /0\.25\.\.4/);
      assert.equal(result.audio.length, 0);
      const http = await postJson(`${worker.httpUrl}/v1/tts`, { text: SENTENCE, params: { speed } });
      assert.equal(http.status, ERROR_CODES.BAD_PARAM.httpStatus);
      assert.equal(jsonOf<{ error: { code: string } }>(http).error.code, 'BAD_PARAM');
    }
  });
});
