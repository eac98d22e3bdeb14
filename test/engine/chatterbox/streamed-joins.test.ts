// The joins of a streamed request on the generated models, whose decoder fades in its first 40 ms and looks 3 tokens
// ahead like the real one: pieces arriving one by one are spoken with the same voice conditioning and seeds as the
// whole text, so the audio, and every join in it, is the whole text's; each piece's decoder continues from the one
// before, so a join has no more silence and no larger sample step than the audio inside the pieces. English,
// multilingual (which drops each piece's last 40 ms) and Turbo (three silence tokens after every decode window).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createChatterboxEngine } from '../../../src/engine/chatterbox/chatterbox-engine.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { TextPiece } from '../../../src/engine/text/split-sentences.js';
import type { ModelVariant } from '../../../src/model-gen/sizes.js';
import { measureJoins, speakPieces } from '../../helpers/joins.js';
import { multilingualCopyOf } from '../../helpers/multilingual-model.js';
import { ensureTinyModel } from '../../helpers/tiny-model.js';
import { voicedSound, writeWav } from '../../helpers/wav-file.js';
import { joinChunks, requestFor } from '../contract.js';

const SENTENCES = ['The first sentence comes in now.', 'Then a second one follows it.', 'And the third ends the reply.'];
const PIECES: TextPiece[] = SENTENCES.map((text) => ({ text, startsSentence: true, endsSentence: true }));
const PARAMS = { seed: 11, max_new_tokens: 40 };
/** Samples per speech token; a join is measured over two tokens either side of it. */
const SAMPLES_PER_TOKEN = 960;
/** 1 ms: silence at a join no longer than this is a zero crossing, not a gap. */
const ZERO_CROSSING_SAMPLES = 24;

async function collect(engine: Engine, text: string) {
  const chunks = [];
  for await (const chunk of engine.synthesize(requestFor(engine, text, { params: PARAMS }), new AbortController().signal)) chunks.push(chunk);
  return chunks;
}

describe('streamed pieces join like the sentences of one text', { timeout: 180_000 }, () => {
  let voicesDir: string;
  const engines: Engine[] = [];
  const copies: string[] = [];
  before(async () => {
    // Turbo ships no default voice; every variant gets this one as an extra.
    voicesDir = await mkdtemp(join(tmpdir(), 'streamed-joins-voice-'));
    await writeWav(join(voicesDir, 'speaker.wav'), { sampleRateHz: 24_000, channels: [voicedSound(24_000, 2, 160)], encoding: 'pcm16' });
  });
  after(async () => {
    for (const engine of engines) await engine.close();
    for (const dir of [voicesDir, ...copies]) await rm(dir, { recursive: true, force: true });
  });
  const load = async (variant: ModelVariant | 'multilingual') => {
    let modelDir = await ensureTinyModel({ variant: variant === 'turbo' ? 'turbo' : 'english', decoderLookahead: 3 });
    if (variant === 'multilingual') {
      modelDir = await multilingualCopyOf(modelDir, ['en', 'fr', 'de']);
      copies.push(modelDir);
    }
    const engine = await createChatterboxEngine({ kind: 'chatterbox', modelDir, device: 'cpu', dtype: 'fp32', gpu: 0, voicesDir });
    engines.push(engine);
    return engine;
  };

  for (const variant of ['english', 'multilingual', 'turbo'] as const) {
    describe(variant, () => {
      let engine: Engine;
      before(async () => {
        engine = await load(variant);
        assert.equal(engine.info.details.variant, variant);
      });

      it('pieces streamed one by one give the whole text’s samples', async () => {
        const whole = joinChunks(await collect(engine, SENTENCES.join(' ')));
        const { audio, joins } = await speakPieces(engine, PIECES, PARAMS);
        assert.equal(joins.length, SENTENCES.length - 1);
        assert.equal(audio.length, whole.length);
        assert.deepEqual(audio, whole);
      });

      it('the joins: no longer silence and no larger sample step than inside the pieces (regression: a 22 ms dip at each)', async (t) => {
        const { audio, joins } = await speakPieces(engine, PIECES, PARAMS);
        assert.equal(joins.length, SENTENCES.length - 1);
        // The request's own start fades in (40 ms): not a join, and not the comparison either.
        const report = measureJoins(audio, joins, { radiusSamples: 2 * SAMPLES_PER_TOKEN, skipStartSamples: 2 * SAMPLES_PER_TOKEN });
        const ms = (samples: number) => ((samples / engine.info.sampleRateHz) * 1000).toFixed(1);
        t.diagnostic(`inside the pieces: longest silence ${ms(report.insideSilenceSamples)} ms, largest step ${report.insideStep.toFixed(4)}`);
        for (const [index, join] of report.joins.entries()) {
          t.diagnostic(`join ${index + 1} at ${join.at}: silence ${ms(join.silenceSamples)} ms, largest step ${join.step.toFixed(4)}`);
          // A voiced signal crossing zero stays under the level for a few samples; a gap is longer than that.
          const gap = Math.max(report.insideSilenceSamples, ZERO_CROSSING_SAMPLES);
          assert.ok(join.silenceSamples <= gap, `join ${index + 1}: ${ms(join.silenceSamples)} ms of silence`);
          assert.ok(join.step <= report.insideStep, `join ${index + 1}: a step of ${join.step} is a click (inside the pieces at most ${report.insideStep})`);
        }
      });
    });
  }
});
