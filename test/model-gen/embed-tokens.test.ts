import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type * as ort from 'onnxruntime-node';

import { ensureTinyModel } from '../helpers/tiny-model.js';
import { f32, i64, maxAbsDiff, openGraph, run } from './ort-harness.js';

const HIDDEN = 64;

function row(data: Float32Array, index: number): Float32Array {
  return data.subarray(index * HIDDEN, (index + 1) * HIDDEN);
}

describe('English embed_tokens', () => {
  let session: ort.InferenceSession | undefined;
  const embed = async (ids: number[], positions: number[], exaggeration = 0.5) => {
    session ??= await openGraph(await ensureTinyModel(), 'embed_tokens');
    const out = await run(session, {
      input_ids: i64(ids, [1, ids.length]),
      position_ids: i64(positions, [1, ids.length]),
      exaggeration: f32([exaggeration], [1]),
    });
    assert.deepEqual(out.inputs_embeds!.dims, [1, ids.length, HIDDEN]);
    return out.inputs_embeds!.data as Float32Array;
  };
  // The prefill layout the tokenizer template produces: marker, [START], text, [STOP], two start-of-speech tokens.
  const prefillIds = [6563, 255, 40, 41, 0, 6561, 6561];
  const prefillPositions = [0, 0, 1, 2, 3, 0, 0];

  test('rows after the first 0 are speech: they equal one-token speech steps at the same position', async () => {
    const prefill = await embed(prefillIds, prefillPositions);
    const start = await embed([6561], [0]);
    assert.equal(maxAbsDiff(row(prefill, 5), row(start, 0)), 0);
    assert.equal(maxAbsDiff(row(prefill, 6), row(start, 0)), 0);
    const withSpeech = await embed([...prefillIds, 17], [...prefillPositions, 1]);
    assert.equal(maxAbsDiff(row(withSpeech, 7), row(await embed([17], [1]), 0)), 0);
  });

  test('rows up to the first 0 are text: the same ids after a 0 embed differently', async () => {
    const prefill = await embed(prefillIds, prefillPositions);
    const asText = await embed([255, 40, 41, 0], [0, 1, 2, 3]);
    for (let i = 0; i < 4; i++) assert.equal(maxAbsDiff(row(prefill, i + 1), row(asText, i)), 0);
    const asSpeech = await embed([0, 40], [0, 1]);
    assert.ok(maxAbsDiff(row(asSpeech, 1), row(asText, 1)) > 1e-3);
  });

  test('6563 becomes a projection of exaggeration; nothing else depends on it', async () => {
    const low = await embed(prefillIds, prefillPositions, 0);
    const high = await embed(prefillIds, prefillPositions, 1);
    const higher = await embed(prefillIds, prefillPositions, 2);
    assert.ok(maxAbsDiff(row(low, 0), row(high, 0)) > 1e-3);
    for (let d = 0; d < HIDDEN; d++) {
      assert.ok(Math.abs(row(higher, 0)[d]! - 2 * row(high, 0)[d]! + row(low, 0)[d]!) < 1e-5, 'linear in exaggeration');
    }
    assert.equal(maxAbsDiff(low.subarray(HIDDEN), high.subarray(HIDDEN)), 0);
  });

  test('positions select learned position rows', async () => {
    const a = await embed([17], [1]);
    const b = await embed([17], [2]);
    assert.ok(maxAbsDiff(a, b) > 1e-3);
  });

  test('a lone 0 in a step row embeds as text, as the real rule does (speech token 0 is affected)', async () => {
    const lone = await embed([0], [5]);
    const text = await embed([255, 0], [0, 5]);
    assert.equal(maxAbsDiff(row(lone, 0), row(text, 1)), 0);
  });
});

describe('Turbo embed_tokens', () => {
  test('a one-token row is speech, a longer row is text', async () => {
    const session = await openGraph(await ensureTinyModel({ variant: 'turbo' }), 'embed_tokens');
    const embed = async (ids: number[]) => (await run(session, { input_ids: i64(ids, [1, ids.length]) })).inputs_embeds!.data as Float32Array;
    const speech = await embed([40]);
    const text = await embed([40, 41]);
    assert.ok(maxAbsDiff(row(speech, 0), row(text, 0)) > 1e-3);
    const otherNeighbour = await embed([40, 7]);
    assert.equal(maxAbsDiff(row(otherNeighbour, 0), row(text, 0)), 0, 'text rows do not depend on their neighbours');
    const beyondText = await embed([6000]);
    assert.ok(beyondText.every(Number.isFinite), 'speech ids beyond the text table are valid in a step');
  });
});
