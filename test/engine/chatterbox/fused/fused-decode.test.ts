// The fused decode graph against the step loop on tiny generated models: the same tokens for greedy decoding, seeded
// sampling with every stage on, CFG and the repetition penalty, on English and Turbo in every variant the generator
// makes: fp32, fp16 (float16 cache), q4 and q4f16 (MatMulNBits, GatherBlockQuantized), GroupQueryAttention with and
// without RotaryEmbedding, plain-op attention, position_ids.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChatterboxModel } from '../../../../src/engine/chatterbox/chatterbox-model.js';
import { generateSpeechTokens } from '../../../../src/engine/chatterbox/generate-tokens.js';
import type { SynthesisParams } from '../../../../src/protocol/messages.js';
import { generationFor, loadTinyWithLoop, type TinyChatterbox } from '../../../helpers/chatterbox.js';
import type { TinyModelOptions } from '../../../helpers/tiny-model.js';

const TEXT = 'Hello there, this is a test of the fused graph.';

/** Sampler settings each model is checked with (API names). */
const CASES: Array<{ name: string; params: SynthesisParams & { seed: number }; englishOnly?: boolean }> = [
  { name: 'greedy', params: { seed: 7, temperature: 0, repetition_penalty: 1, cfg_weight: 0, min_p: 0, top_p: 1, top_k: 0 } },
  { name: 'greedy with the repetition penalty', params: { seed: 7, temperature: 0, repetition_penalty: 1.6, cfg_weight: 0 } },
  {
    name: 'seeded sampling, every stage on',
    params: { seed: 11, temperature: 0.9, top_k: 40, min_p: 0.02, top_p: 0.9, repetition_penalty: 1.3, cfg_weight: 0 },
  },
  {
    name: 'seeded sampling with CFG',
    params: { seed: 12, temperature: 0.8, top_k: 0, min_p: 0.05, top_p: 1, repetition_penalty: 1.2, cfg_weight: 0.5 },
    englishOnly: true,
  },
  { name: 'greedy with CFG', params: { seed: 5, temperature: 0, repetition_penalty: 1.2, cfg_weight: 0.7 }, englishOnly: true },
];

async function tokensFrom(
  model: ChatterboxModel,
  tiny: TinyChatterbox,
  params: SynthesisParams & { seed: number },
  steps = { first: 3, next: 7 },
): Promise<number[]> {
  const tokens: number[] = [];
  const request = { ...generationFor(tiny, TEXT, params), stepsPerRun: steps };
  for await (const token of generateSpeechTokens(model, request, new AbortController().signal)) tokens.push(token);
  return tokens;
}

/** Counts the runs of `model`'s fused session until the returned stop() restores it. */
function countingFused(model: ChatterboxModel): { runs: () => number; stop: () => void } {
  const session = model.fused!.session;
  const run = session.run;
  let runs = 0;
  session.run = ((...args: Parameters<typeof run>) => {
    runs += 1;
    return run.apply(session, args);
  }) as typeof run;
  return { runs: () => runs, stop: () => (session.run = run) };
}

const GREEDY = CASES[0]!.params;

const MODELS: TinyModelOptions[] = [
  { variant: 'english', dtype: 'fp32' },
  { variant: 'english', dtype: 'fp16' },
  { variant: 'english', dtype: 'fp32', positionIds: true },
  { variant: 'turbo', dtype: 'fp32' },
  { variant: 'turbo', dtype: 'fp16' },
  { variant: 'english', dtype: 'q4' },
  { variant: 'english', dtype: 'q4f16' },
  { variant: 'turbo', dtype: 'q4' },
  { variant: 'turbo', dtype: 'q4f16' },
  { variant: 'english', dtype: 'fp32', attention: 'standard' },
  { variant: 'english', dtype: 'fp16', attention: 'standard', positionIds: true },
  { variant: 'turbo', dtype: 'fp16', attention: 'standard' },
];

const describeModel = (o: TinyModelOptions) =>
  [`tiny ${o.variant} ${o.dtype}`, o.positionIds ? 'with position_ids' : '', o.attention === 'standard' ? 'plain-op attention' : ''].filter(Boolean).join(', ');

for (const options of MODELS) {
  describe(`fused decode graph on ${describeModel(options)}`, () => {
    let cacheDir = '';
    let step: TinyChatterbox;
    let fused: TinyChatterbox;
    before(async () => {
      cacheDir = await mkdtemp(join(tmpdir(), 'fused-cache-'));
      step = await loadTinyWithLoop(options, 'step', cacheDir);
      fused = await loadTinyWithLoop(options, 'fused', cacheDir);
    });
    after(async () => {
      await step?.model.release();
      await fused?.model.release();
      await rm(cacheDir, { recursive: true, force: true });
    });

    it('runs on the fused graph with no language_model session of its own', () => {
      assert.equal(fused.model.decode.mode, 'fused');
      assert.ok(fused.model.fused);
      assert.equal(fused.model.sessions.language_model, undefined);
      assert.equal(step.model.decode.mode, 'step');
    });

    for (const testCase of CASES) {
      if (testCase.englishOnly && options.variant !== 'english') continue;
      it(`gives the step loop's tokens: ${testCase.name}`, async () => {
        const expected = await tokensFrom(step.model, step, testCase.params);
        const actual = await tokensFrom(fused.model, fused, testCase.params);
        assert.ok(expected.length > 20, `the step loop gave only ${expected.length} tokens`);
        assert.deepEqual(actual, expected);
      });
    }

    it('stops at the token cap where the step loop does, inside a run', async () => {
      const params = { ...GREEDY, max_new_tokens: 13 };
      const expected = await tokensFrom(step.model, step, params);
      assert.equal(expected.length, 13);
      assert.deepEqual(await tokensFrom(fused.model, fused, params), expected);
    });

    it('ends the run at the stop token instead of running all its steps', async () => {
      const expected = await tokensFrom(step.model, step, GREEDY);
      assert.ok(expected.length < 300, `no stop token within ${expected.length} tokens`);
      const counted = countingFused(fused.model);
      // One run with room for 1000 steps: the loop must end at the stop token and the generator after it.
      const actual = await tokensFrom(fused.model, fused, GREEDY, { first: 1000, next: 1000 }).finally(counted.stop);
      assert.deepEqual(actual, expected);
      assert.equal(counted.runs(), 1);
    });

    it('a cancel takes effect at the next run boundary: no further tokens, no further run', async () => {
      const counted = countingFused(fused.model);
      const controller = new AbortController();
      const tokens: number[] = [];
      const request = { ...generationFor(fused, TEXT, GREEDY), stepsPerRun: { first: 3, next: 7 } };
      try {
        for await (const token of generateSpeechTokens(fused.model, request, controller.signal)) {
          tokens.push(token);
          if (tokens.length === 4) controller.abort();
        }
      } finally {
        counted.stop();
      }
      assert.equal(tokens.length, 4);
      assert.equal(counted.runs(), 2);
    });
  });
}
