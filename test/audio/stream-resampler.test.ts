import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resample } from '../../src/audio/resample.js';
import { createStreamResampler } from '../../src/audio/stream-resampler.js';

function signal(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.05) * 0.5 + Math.sin(i * 0.9) * 0.1);
}

function run(input: Float32Array, fromHz: number, toHz: number, chunk: number): Float32Array {
  const r = createStreamResampler(fromHz, toHz);
  const parts: number[] = [];
  for (let o = 0; o < input.length; o += chunk) parts.push(...r.push(input.subarray(o, o + chunk)));
  parts.push(...r.finish());
  return Float32Array.from(parts);
}

describe('createStreamResampler', () => {
  for (const [fromHz, toHz] of [
    [16_000, 24_000],
    [24_000, 16_000],
    [22_050, 24_000],
  ] as const) {
    it(`${fromHz} → ${toHz} Hz: the same samples however the input is split, equal to the whole-buffer resampler`, () => {
      const input = signal(5000);
      const whole = resample(input, fromHz, toHz);
      for (const chunk of [1, 7, 160, 5000]) {
        const streamed = run(input, fromHz, toHz, chunk);
        assert.equal(streamed.length, whole.length, `chunk ${chunk}`);
        for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(streamed[i]! - whole[i]!) < 1e-6, `chunk ${chunk}, sample ${i}`);
      }
    });
  }

  it('passes samples through when the rates match', () => {
    const input = signal(100);
    assert.deepEqual(run(input, 24_000, 24_000, 33), input);
  });
});
