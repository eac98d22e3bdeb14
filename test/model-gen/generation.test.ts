import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { Tokenizer } from '@huggingface/tokenizers';

import { SPEECH_CODEBOOK_SIZE, STOP_SPEECH_TOKEN } from '../../src/model-gen/constants.js';
import { createRandom } from '../../src/model-gen/random.js';
import { modelDims } from '../../src/model-gen/sizes.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import { generate } from './ort-harness.js';
import type { TokenPicker } from './ort-harness.js';

const greedy: TokenPicker = (logits) => {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
};

// The PyTorch order: repetition penalty → temperature → min_p → top_p → softmax → draw.
function sampler(seed: number, o: { temperature: number; minP: number; topP: number; penalty: number }): TokenPicker {
  const random = createRandom(seed);
  return (raw, history) => {
    const logits = Float32Array.from(raw);
    for (const id of new Set(history)) {
      if (id < logits.length) logits[id] = logits[id]! > 0 ? logits[id]! / o.penalty : logits[id]! * o.penalty;
    }
    let max = -Infinity;
    for (const l of logits) max = Math.max(max, l / o.temperature);
    const probs = Array.from(logits, (l, id) => ({ id, p: Math.exp(l / o.temperature - max) }));
    const kept = probs.filter((x) => x.p >= o.minP).sort((a, b) => b.p - a.p);
    const total = kept.reduce((s, x) => s + x.p, 0);
    let cumulative = 0;
    const nucleus = kept.filter((x) => {
      const keep = cumulative < o.topP * total;
      cumulative += x.p;
      return keep;
    });
    let draw = random() * nucleus.reduce((s, x) => s + x.p, 0);
    for (const x of nucleus) if ((draw -= x.p) <= 0) return x.id;
    return nucleus.at(-1)!.id;
  };
}

async function textIds(dir: string, text: string): Promise<number[]> {
  const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as object;
  return new Tokenizer(json, {}).encode(text).ids;
}

describe('the tiny model stops by itself', () => {
  const { stopBiasStart } = modelDims('tiny', 'english');
  // After 8 tokens past the ramp start the stop logit leads by > 100: no sampler that keeps the top token avoids it.
  const bound = (promptLength: number) => Math.max(0, stopBiasStart - promptLength) + 8;
  const samplers: Array<[string, () => TokenPicker]> = [
    ['greedy', () => greedy],
    ['documented defaults, seed 1', () => sampler(1, { temperature: 0.8, minP: 0.05, topP: 1, penalty: 1.2 })],
    ['documented defaults, seed 2', () => sampler(2, { temperature: 0.8, minP: 0.05, topP: 1, penalty: 1.2 })],
    ['hot: temperature 2, no min_p', () => sampler(3, { temperature: 2, minP: 0, topP: 0.95, penalty: 1 })],
  ];
  for (const variant of ['english', 'turbo'] as const) {
    for (const [name, make] of samplers) {
      test(`${variant}, ${name}`, async () => {
        const dir = await ensureTinyModel({ variant });
        const ids = await textIds(dir, 'Hello world. How are you today?');
        const result = await generate(dir, variant, ids, make(), 400);
        assert.ok(result.stopped, 'emitted the stop token');
        const { tokens, promptLength } = result;
        assert.ok(tokens.length <= bound(promptLength), `${tokens.length} tokens for a ${promptLength}-token prompt`);
        if (name !== 'hot: temperature 2, no min_p') {
          assert.ok(
            result.tokens.every((t) => t < SPEECH_CODEBOOK_SIZE),
            'only codebook tokens before the stop',
          );
        }
        assert.ok(!result.tokens.includes(STOP_SPEECH_TOKEN));
      });
    }
  }

  test('generation is deterministic for a model seed and a sampler seed', async () => {
    const dir = await ensureTinyModel();
    const ids = await textIds(dir, 'Hello world.');
    const pick = () => sampler(7, { temperature: 0.8, minP: 0.05, topP: 1, penalty: 1.2 });
    const first = await generate(dir, 'english', ids, pick(), 400);
    const second = await generate(dir, 'english', ids, pick(), 400);
    assert.deepEqual(first.tokens, second.tokens);
    assert.ok(first.tokens.length > 20, 'a short prompt leaves room for speech before the stop ramp');
  });
});
