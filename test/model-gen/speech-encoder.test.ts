import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { createDefaultVoice } from '../../src/model-gen/default-voice.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import { f32, maxAbsDiff, openGraph, run } from './ort-harness.js';

async function encode(audio: Float32Array, batch = 1) {
  const session = await openGraph(await ensureTinyModel(), 'speech_encoder');
  const rows = new Float32Array(batch * audio.length);
  for (let b = 0; b < batch; b++) rows.set(audio, b * audio.length);
  return run(session, { audio_values: f32(rows, [batch, audio.length]) });
}

describe('speech_encoder', () => {
  const table: Array<[seconds: number, promptTokens: number]> = [
    [2.5, 62],
    [4, 100],
    [12, 250],
  ];
  for (const [seconds, promptTokens] of table) {
    test(`${seconds} s of audio → ${promptTokens} prompt tokens and ${2 * promptTokens} feature frames`, async () => {
      const out = await encode(createDefaultVoice(seconds));
      assert.deepEqual(out.audio_features!.dims, [1, 33, 64]);
      assert.deepEqual(out.audio_tokens!.dims, [1, promptTokens]);
      assert.deepEqual(out.speaker_embeddings!.dims, [1, 192]);
      assert.deepEqual(out.speaker_features!.dims, [1, 2 * promptTokens, 80]);
      const tokens = Array.from(out.audio_tokens!.data as BigInt64Array, Number);
      assert.ok(
        tokens.every((t) => t >= 0 && t < 6561),
        'codebook ids',
      );
      assert.ok(new Set(tokens).size > 5, 'tokens vary with the audio');
      for (const name of ['audio_features', 'speaker_embeddings', 'speaker_features'] as const) {
        assert.ok((out[name]!.data as Float32Array).every(Number.isFinite), `${name} finite`);
      }
    });
  }

  test('is deterministic and batch rows are independent', async () => {
    const voice = createDefaultVoice(2);
    const once = await encode(voice, 1);
    const again = await encode(voice, 1);
    const batched = await encode(voice, 2);
    for (const name of ['audio_features', 'speaker_embeddings', 'speaker_features'] as const) {
      const a = once[name]!.data as Float32Array;
      const b = batched[name]!.data as Float32Array;
      assert.equal(maxAbsDiff(a, again[name]!.data as Float32Array), 0, name);
      // Batched GEMMs may block differently: equal to rounding.
      assert.ok(maxAbsDiff(a, b.subarray(0, a.length)) < 1e-5, name);
      assert.ok(maxAbsDiff(a, b.subarray(a.length)) < 1e-5, name);
    }
    assert.deepEqual(again.audio_tokens!.data, once.audio_tokens!.data);
  });

  test('a different voice gives a different speaker embedding', async () => {
    const a = (await encode(createDefaultVoice(2))).speaker_embeddings!.data as Float32Array;
    const tone = Float32Array.from({ length: 48000 }, (_, n) => 0.3 * Math.sin((2 * Math.PI * 220 * n) / 24000));
    const b = (await encode(tone)).speaker_embeddings!.data as Float32Array;
    assert.ok(maxAbsDiff(a, b) > 1e-3);
  });
});
