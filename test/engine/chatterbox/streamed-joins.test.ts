// The joins of a streamed request on the generated model, whose decoder fades in its first 40 ms and looks 3 tokens
// ahead like the real one: pieces arriving one by one are spoken with the same voice conditioning and seeds as the
// whole text, so the audio, and every join in it, is the whole text's; each piece's decoder continues from the one
// before, so a join has no more silence and no larger sample step than the audio inside the pieces.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChatterboxEngine } from '../../../src/engine/chatterbox/chatterbox-engine.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { TextPiece } from '../../../src/engine/text/split-sentences.js';
import { measureJoins } from '../../helpers/joins.js';
import { ensureTinyModel } from '../../helpers/tiny-model.js';
import { joinChunks, requestFor } from '../contract.js';

const SENTENCES = ['The first sentence comes in now.', 'Then a second one follows it.', 'And the third ends the reply.'];
const PARAMS = { seed: 11, max_new_tokens: 40 };
/** Samples per speech token; a join is measured over two tokens either side of it. */
const SAMPLES_PER_TOKEN = 960;

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

describe('streamed pieces join like the sentences of one text', { timeout: 120_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await createChatterboxEngine({
      kind: 'chatterbox',
      modelDir: await ensureTinyModel({ decoderLookahead: 3 }),
      device: 'cpu',
      dtype: 'fp32',
      gpu: 0,
    });
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

  it('the joins: no longer silence and no larger sample step than inside the pieces (regression: a 22 ms dip at each)', async (t) => {
    const { audio, joins } = await speakStreamed(
      engine,
      SENTENCES.map((text) => ({ text, startsSentence: true, endsSentence: true })),
    );
    assert.equal(joins.length, SENTENCES.length - 1);
    // The request's own start fades in (40 ms): not a join, and not the comparison either.
    const report = measureJoins(audio, joins, { radiusSamples: 2 * SAMPLES_PER_TOKEN, skipStartSamples: 2 * SAMPLES_PER_TOKEN });
    const ms = (samples: number) => ((samples / engine.info.sampleRateHz) * 1000).toFixed(1);
    t.diagnostic(`inside the pieces: longest silence ${ms(report.insideSilenceSamples)} ms, largest step ${report.insideStep.toFixed(4)}`);
    for (const [index, join] of report.joins.entries()) {
      t.diagnostic(`join ${index + 1} at ${join.at}: silence ${ms(join.silenceSamples)} ms, largest step ${join.step.toFixed(4)}`);
      assert.ok(join.silenceSamples <= report.insideSilenceSamples, `join ${index + 1}: ${ms(join.silenceSamples)} ms of silence`);
      assert.ok(join.step <= report.insideStep, `join ${index + 1}: a step of ${join.step} is a click (inside the pieces at most ${report.insideStep})`);
    }
  });
});

async function collect(engine: Engine, text: string) {
  const chunks = [];
  for await (const chunk of engine.synthesize(requestFor(engine, text, { params: PARAMS }), new AbortController().signal)) chunks.push(chunk);
  return chunks;
}
