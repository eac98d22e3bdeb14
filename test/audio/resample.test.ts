import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rms } from '../../src/audio/pcm.js';
import { resample } from '../../src/audio/resample.js';

function tone(hz: number, rateHz: number, seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(rateHz * seconds) }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rateHz));
}

/** Dominant frequency by counting zero crossings (enough for a pure tone). */
function zeroCrossingHz(samples: Float32Array, rateHz: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings += 1;
  return crossings / 2 / (samples.length / rateHz);
}

describe('resample', () => {
  for (const [from, to] of [
    [16_000, 24_000],
    [44_100, 24_000],
    [48_000, 24_000],
    [8_000, 24_000],
    [22_050, 24_000],
  ] as const) {
    it(`${from} → ${to} Hz keeps the length in time and the pitch of a 440 Hz tone`, () => {
      const out = resample(tone(440, from, 0.5), from, to);
      assert.equal(out.length, Math.round(0.5 * to));
      assert.ok(Math.abs(zeroCrossingHz(out, to) - 440) < 5);
      assert.ok(Math.abs(rms(out.subarray(100, -100)) - Math.SQRT1_2) < 0.02);
    });
  }

  it('returns the input unchanged when the rates match', () => {
    const input = tone(100, 24_000, 0.01);
    assert.equal(resample(input, 24_000, 24_000), input);
  });

  it('removes content above the new Nyquist frequency instead of aliasing it', () => {
    const out = resample(tone(15_000, 48_000, 0.2), 48_000, 24_000);
    assert.ok(rms(out.subarray(200, -200)) < 0.05, `15 kHz leaked through at rms ${rms(out)}`);
  });

  it('rejects non-positive rates', () => {
    assert.throws(() => resample(new Float32Array(4), 0, 24_000), RangeError);
  });
});
