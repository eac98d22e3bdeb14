import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type * as ort from 'onnxruntime-node';

import { ensureTinyModel } from '../helpers/tiny-model.js';
import { f32, i64, maxAbsDiff, openGraph, run } from './ort-harness.js';

const SPEAKER = Float32Array.from({ length: 192 }, (_, i) => Math.cos(i));
const sessions = new Map<number, Promise<ort.InferenceSession>>();

/** The tiny English decoder with `lookahead` tokens of right context, run once. */
async function decode(tokens: number[], featureFrames: number, lookahead = 0): Promise<Float32Array> {
  let opened = sessions.get(lookahead);
  if (opened === undefined) {
    opened = ensureTinyModel({ decoderLookahead: lookahead }).then((dir) => openGraph(dir, 'conditional_decoder'));
    sessions.set(lookahead, opened);
  }
  const out = await run(await opened, {
    speech_tokens: i64(tokens, [1, tokens.length]),
    speaker_embeddings: f32(SPEAKER, [1, 192]),
    speaker_features: f32(new Float32Array(featureFrames * 80).fill(-2), [1, featureFrames, 80]),
  });
  assert.equal(out.waveform!.dims.length, 2);
  return out.waveform!.data as Float32Array;
}

const tokens = (count: number, from = 0) => Array.from({ length: count }, (_, i) => (from + i * 389) % 6561);
const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));

describe('conditional_decoder', () => {
  const lengths: Array<[prompt: number, generated: number, featureFrames: number]> = [
    [10, 25, 20],
    [10, 25, 21],
    [0, 5, 0],
    [40, 1, 80],
  ];
  for (const [prompt, generated, frames] of lengths) {
    test(`${prompt} prompt + ${generated} generated tokens, F=${frames} → 960 × ${generated} samples`, async () => {
      const wave = await decode(tokens(prompt + generated), frames);
      assert.equal(wave.length, 960 * generated);
    });
  }

  test('fades in: 20 ms of silence, then a 20 ms ramp; audible afterwards', async () => {
    const wave = await decode(tokens(30), 20);
    assert.ok(wave.subarray(0, 480).every((v) => v === 0));
    assert.ok(rms(wave.subarray(480, 960)) < rms(wave.subarray(960, 1920)));
    assert.ok(rms(wave.subarray(960)) > 0.05, `rms ${rms(wave.subarray(960))}`);
    assert.ok(wave.every((v) => Math.abs(v) <= 1));
  });

  test('is deterministic', async () => {
    assert.equal(maxAbsDiff(await decode(tokens(30), 20), await decode(tokens(30), 20)), 0);
  });

  test('block k depends only on tokens k-1 and k: re-decoding with less context reproduces the samples', async () => {
    const all = tokens(60);
    const full = await decode(all, 20); // prompt 10, generated 50
    // Stream-style: prompt + the last 5 emitted tokens + 20 new ones; keep only the new part.
    const context = [...all.slice(0, 10), ...all.slice(25, 60)];
    const partial = await decode(context, 20); // generated part starts at token 25 of `all`
    const kept = partial.subarray(5 * 960);
    // Same values per element; only vectorised sin() at other offsets could differ, by an ulp.
    assert.ok(maxAbsDiff(kept, full.subarray(20 * 960)) < 1e-6);
  });

  test('content depends on the tokens, locally', async () => {
    const base = tokens(20);
    const changed = [...base];
    changed[15] = (changed[15]! + 1000) % 6561;
    const a = await decode(base, 20);
    const b = await decode(changed, 20);
    const block = (w: Float32Array, k: number) => w.subarray(k * 960, (k + 1) * 960);
    assert.ok(maxAbsDiff(block(a, 3), block(b, 3)) < 1e-6, 'block before the change');
    assert.ok(maxAbsDiff(block(a, 5), block(b, 5)) > 1e-3, 'block of the changed token');
    assert.ok(maxAbsDiff(block(a, 6), block(b, 6)) > 1e-3, 'next block shares its grain');
    assert.ok(maxAbsDiff(block(a, 8), block(b, 8)) < 1e-6, 'blocks after');
  });

  for (const lookahead of [1, 3]) {
    test(`with ${lookahead} token(s) of right context, block k depends on tokens k-1..k+${lookahead} and no others`, async () => {
      const base = tokens(30);
      const changedAt = 20; // generated index 10 (10 prompt tokens)
      const changed = [...base];
      changed[changedAt] = (changed[changedAt]! + 1000) % 6561;
      const a = await decode(base, 20, lookahead);
      const b = await decode(changed, 20, lookahead);
      const block = (w: Float32Array, k: number) => w.subarray(k * 960, (k + 1) * 960);
      for (let k = 0; k < 20; k++) {
        const differs = maxAbsDiff(block(a, k), block(b, k));
        const dependent = k >= 10 - lookahead && k <= 11;
        if (dependent) assert.ok(differs > 1e-3, `block ${k} ignores the token at ${changedAt - 10} (max diff ${differs})`);
        else assert.ok(differs < 1e-6, `block ${k} depends on the token at ${changedAt - 10} (max diff ${differs})`);
      }
    });

    test(`with ${lookahead} token(s) of right context: deterministic, same length, same 40 ms fade-in`, async () => {
      const wave = await decode(tokens(30), 20, lookahead);
      assert.equal(wave.length, 20 * 960);
      assert.equal(maxAbsDiff(wave, await decode(tokens(30), 20, lookahead)), 0);
      assert.ok(wave.subarray(0, 480).every((v) => v === 0));
      assert.ok(rms(wave.subarray(480, 960)) < rms(wave.subarray(960, 1920)));
      assert.ok(wave.every((v) => Math.abs(v) <= 1));
    });
  }

  test('right context is what a window cut short of it lacks: the last blocks change, earlier ones do not', async () => {
    const all = tokens(40);
    const whole = await decode(all, 20, 3); // generated tokens 10..39
    const cut = await decode(all.slice(0, 30), 20, 3); // generated tokens 10..29, tokens 30.. unseen
    const block = (w: Float32Array, k: number) => w.subarray(k * 960, (k + 1) * 960);
    assert.ok(maxAbsDiff(block(cut, 16), block(whole, 16)) < 1e-6, 'block 16 sees its 3 next tokens in both');
    for (const k of [17, 18, 19]) assert.ok(maxAbsDiff(block(cut, k), block(whole, k)) > 1e-3, `block ${k} lacks right context`);
  });

  test('the silence token 4299 is near-silent', async () => {
    const wave = await decode([...tokens(10), ...new Array<number>(10).fill(4299)], 20);
    assert.ok(rms(wave.subarray(2 * 960)) < 0.01);
  });

  test('ids beyond the codebook fail, as in the real graph', async () => {
    await assert.rejects(decode([...tokens(10), 6561], 20));
  });
});
