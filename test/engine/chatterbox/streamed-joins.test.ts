// The joins of a streamed request on the generated model: pieces arriving one by one are spoken with the same voice
// conditioning and seeds as the whole text, so the audio, and every join in it, is the whole text's; the joins are
// measured (silence length, the sample step across them) against the steps inside the pieces.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChatterboxEngine } from '../../../src/engine/chatterbox/chatterbox-engine.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { TextPiece } from '../../../src/engine/text/split-sentences.js';
import { ensureTinyModel } from '../../helpers/tiny-model.js';
import { joinChunks, requestFor } from '../contract.js';

const SENTENCES = ['The first sentence comes in now.', 'Then a second one follows it.', 'And the third ends the reply.'];
const PARAMS = { seed: 11, max_new_tokens: 40 };
/** Below this level a sample counts as silence. */
const SILENCE_LEVEL = 1e-3;

/** The streamed request's audio, and the sample offsets at which the engine asked for each next piece. */
async function speakStreamed(engine: Engine, pieces: TextPiece[]): Promise<{ audio: Float32Array; joins: number[] }> {
  let received = 0;
  const joins: number[] = [];
  const input = {
    async *[Symbol.asyncIterator]() {
      for (const [index, piece] of pieces.entries()) {
        // The engine asks for the next piece only once the consumer took every chunk of the one before.
        if (index > 0) joins.push(received);
        yield piece;
      }
    },
  };
  const request = { ...requestFor(engine, 'unused', { params: PARAMS }), text: '', input };
  const chunks = [];
  for await (const chunk of engine.synthesize(request, new AbortController().signal)) {
    chunks.push(chunk);
    received += chunk.pcm.length;
  }
  return { audio: joinChunks(chunks), joins };
}

/** Samples of silence on either side of `at`, counted outwards. */
function silenceAround(audio: Float32Array, at: number): number {
  let before = 0;
  while (at - before - 1 >= 0 && Math.abs(audio[at - before - 1]!) < SILENCE_LEVEL) before += 1;
  let after = 0;
  while (at + after < audio.length && Math.abs(audio[at + after]!) < SILENCE_LEVEL) after += 1;
  return before + after;
}

function largestStep(audio: Float32Array, from: number, to: number): number {
  let largest = 0;
  for (let i = Math.max(1, from); i < to; i++) largest = Math.max(largest, Math.abs(audio[i]! - audio[i - 1]!));
  return largest;
}

describe('streamed pieces join like the sentences of one text', { timeout: 120_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await createChatterboxEngine({ kind: 'chatterbox', modelDir: await ensureTinyModel(), device: 'cpu', dtype: 'fp32', gpu: 0 });
  });
  after(() => engine?.close());

  it('pieces streamed one by one give the whole text’s samples', async () => {
    const whole = joinChunks(await collect(engine, SENTENCES.join(' ')));
    const { audio, joins } = await speakStreamed(
      engine,
      SENTENCES.map((text) => ({ text, startsSentence: true, endsSentence: true })),
    );
    assert.equal(joins.length, SENTENCES.length - 1);
    assert.equal(audio.length, whole.length);
    assert.deepEqual(audio, whole);
  });

  it('the joins: no longer silence and no larger sample step than inside the pieces', async (t) => {
    const { audio, joins } = await speakStreamed(
      engine,
      SENTENCES.map((text) => ({ text, startsSentence: true, endsSentence: true })),
    );
    const bounds = [0, ...joins, audio.length];
    for (const [index, join] of joins.entries()) {
      const silenceMs = (silenceAround(audio, join) / engine.info.sampleRateHz) * 1000;
      const step = Math.abs(audio[join]! - audio[join - 1]!);
      const inside = Math.max(largestStep(audio, bounds[index]!, join), largestStep(audio, join + 1, bounds[index + 2]!));
      t.diagnostic(`join ${index + 1} at ${join}: silence ${silenceMs.toFixed(1)} ms, step ${step.toFixed(4)}, largest step inside ${inside.toFixed(4)}`);
      assert.ok(step <= inside, `join ${index + 1}: a step of ${step} is a click (inside the pieces at most ${inside})`);
      assert.ok(silenceMs <= 80, `join ${index + 1}: ${silenceMs.toFixed(1)} ms of silence`);
    }
  });
});

async function collect(engine: Engine, text: string) {
  const chunks = [];
  for await (const chunk of engine.synthesize(requestFor(engine, text, { params: PARAMS }), new AbortController().signal)) chunks.push(chunk);
  return chunks;
}
