import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rms } from '../../src/audio/pcm.js';
import { createTimeStretch, type TimeStretch } from '../../src/audio/time-stretch.js';
import { createRandom } from '../../src/model-gen/random.js';
import { fundamentalHz } from '../helpers/pitch.js';
import { voicedSound } from '../helpers/wav-file.js';

const RATE_HZ = 24_000;
const SPEEDS = [0.25, 0.5, 0.8, 1.25, 2, 4];

/** A steady voiced tone: `f0Hz` and four harmonics, peak about 0.5. */
function harmonicTone(f0Hz: number, samples: number, rateHz = RATE_HZ): Float32Array {
  const out = new Float32Array(samples);
  for (let n = 0; n < samples; n++) {
    let sample = 0;
    for (let h = 1; h <= 5; h++) sample += Math.sin((2 * Math.PI * f0Hz * h * n) / rateHz) / h;
    out[n] = 0.3 * sample;
  }
  return out;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Pushes `input` in the given chunk sizes (cycled), then flushes; returns every output piece. */
function stretchInChunks(stretch: TimeStretch, input: Float32Array, sizes: readonly number[]): Float32Array[] {
  const out: Float32Array[] = [];
  for (let offset = 0, i = 0; offset < input.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(stretch.push(input.subarray(offset, offset + size)));
    offset += size;
  }
  out.push(stretch.flush());
  return out;
}

function maxJump(samples: Float32Array): number {
  let max = 0;
  for (let i = 1; i < samples.length; i++) max = Math.max(max, Math.abs(samples[i]! - samples[i - 1]!));
  return max;
}

describe('time stretch', () => {
  it('makes exactly round(input / speed) samples, whatever the input length', () => {
    for (const speed of SPEEDS) {
      for (const length of [0, 1, 100, 359, 360, 4801, 24_000]) {
        const stretch = createTimeStretch({ sampleRateHz: RATE_HZ, speed });
        const out = concat(stretchInChunks(stretch, harmonicTone(150, length), [1000]));
        assert.equal(out.length, Math.round(length / speed), `speed ${speed}, ${length} samples in`);
      }
    }
  });

  it('keeps the pitch: the fundamental of a tone is the same after stretching, at 100 and 220 Hz', () => {
    for (const f0Hz of [100, 220]) {
      const input = harmonicTone(f0Hz, 2 * RATE_HZ);
      const before = fundamentalHz(input, RATE_HZ, 2400, 2400).hz;
      assert.ok(Math.abs(before - f0Hz) < 0.5, `the measurement itself: ${before} Hz for ${f0Hz} Hz`);
      for (const speed of SPEEDS) {
        const out = concat(stretchInChunks(createTimeStretch({ sampleRateHz: RATE_HZ, speed }), input, [2048]));
        // Windows at a quarter, half and three quarters of the output: inside frames and across their overlaps.
        for (const at of [0.25, 0.5, 0.75]) {
          const from = Math.floor(out.length * at) - 1200;
          const after = fundamentalHz(out, RATE_HZ, from, 1200);
          assert.ok(Math.abs(after.hz - f0Hz) / f0Hz < 0.01, `speed ${speed} at ${at}: ${after.hz.toFixed(2)} Hz, was ${f0Hz} Hz`);
          assert.ok(after.periodicity > 0.99, `speed ${speed} at ${at}: periodicity ${after.periodicity}`);
        }
      }
    }
  });

  it('keeps the pitch of a gliding voiced sound (median over the utterance within 2%)', () => {
    const input = voicedSound(RATE_HZ, 3, 140);
    const pitches = (samples: Float32Array, windows: number) => {
      const found: number[] = [];
      for (let w = 1; w < windows; w++) found.push(fundamentalHz(samples, RATE_HZ, Math.floor((w * (samples.length - 1200)) / windows) - 600, 1200).hz);
      return found.sort((a, b) => a - b)[Math.floor(found.length / 2)]!;
    };
    const before = pitches(input, 40);
    for (const speed of [0.5, 2]) {
      const after = pitches(concat(stretchInChunks(createTimeStretch({ sampleRateHz: RATE_HZ, speed }), input, [960])), 40);
      assert.ok(Math.abs(after - before) / before < 0.02, `speed ${speed}: median ${after.toFixed(1)} Hz, was ${before.toFixed(1)} Hz`);
    }
  });

  it('gives the same samples however the input is cut into chunks: engine chunk seams leave no trace', () => {
    const input = voicedSound(RATE_HZ, 2, 120);
    const random = createRandom(5);
    const ragged = Array.from({ length: 50 }, () => 1 + Math.floor(random() * 3000));
    for (const speed of SPEEDS) {
      const whole = concat(stretchInChunks(createTimeStretch({ sampleRateHz: RATE_HZ, speed }), input, [input.length]));
      for (const sizes of [[1], [7], [480], ragged]) {
        const chunked = concat(stretchInChunks(createTimeStretch({ sampleRateHz: RATE_HZ, speed }), input, sizes));
        assert.deepEqual(chunked, whole, `speed ${speed}, chunks of ${sizes.length === 1 ? sizes[0] : 'ragged sizes'}`);
      }
    }
  });

  it('adds no clicks: no step between samples larger than the tone itself has, at output chunk seams or inside', () => {
    const input = harmonicTone(180, RATE_HZ);
    const toneJump = maxJump(input);
    for (const speed of SPEEDS) {
      const pieces = stretchInChunks(createTimeStretch({ sampleRateHz: RATE_HZ, speed }), input, [1000]);
      // A misaligned overlap would cancel or double the waveform: a step up to twice the tone's peak.
      assert.ok(maxJump(concat(pieces)) <= toneJump * 1.05, `speed ${speed}: ${maxJump(concat(pieces))} vs ${toneJump}`);
    }
  });

  it('holds back a bounded amount of input, under 60 ms at every speed', () => {
    for (const speed of SPEEDS) {
      const stretch = createTimeStretch({ sampleRateHz: RATE_HZ, speed });
      assert.ok(stretch.maxHeldSamples <= 0.061 * RATE_HZ, `speed ${speed}: ${stretch.maxHeldSamples} samples`);
      const input = harmonicTone(150, RATE_HZ);
      let received = 0;
      let emitted = 0;
      let sawHold = false;
      for (let offset = 0; offset < input.length; offset += 100) {
        const piece = input.subarray(offset, offset + 100);
        received += piece.length;
        emitted += stretch.push(piece).length;
        const held = received - emitted * speed;
        assert.ok(held <= stretch.maxHeldSamples, `speed ${speed}: ${held} held after ${received} in`);
        if (held > stretch.maxHeldSamples / 2) sawHold = true;
      }
      assert.ok(sawHold, 'the bound is not loose by more than half');
    }
  });

  it('flushes the end: the last 20 ms of a steady tone are still the tone, and nothing comes after', () => {
    const input = harmonicTone(150, RATE_HZ);
    for (const speed of SPEEDS) {
      const stretch = createTimeStretch({ sampleRateHz: RATE_HZ, speed });
      const out = concat(stretchInChunks(stretch, input, [4000]));
      const last = out.subarray(out.length - 0.02 * RATE_HZ);
      assert.ok(rms(last) > 0.8 * rms(input), `speed ${speed}: the end at RMS ${rms(last)} of ${rms(input)}`);
      assert.equal(stretch.flush().length, 0, 'a second flush adds nothing');
      assert.throws(() => stretch.push(new Float32Array(10)), /after flush/);
    }
  });

  it('keeps silence silent', () => {
    const out = concat(stretchInChunks(createTimeStretch({ sampleRateHz: 16_000, speed: 0.5 }), new Float32Array(16_000), [500]));
    assert.equal(out.length, 32_000);
    assert.ok(out.every((s) => s === 0));
  });

  it('rejects bad options', () => {
    for (const options of [
      { sampleRateHz: 0, speed: 1 },
      { sampleRateHz: 16_000.5, speed: 1 },
      { sampleRateHz: 16_000, speed: 0 },
      { sampleRateHz: 16_000, speed: Number.NaN },
      { sampleRateHz: 16_000, speed: Infinity },
      { sampleRateHz: 16_000, speed: 1, frameMs: 0 },
      { sampleRateHz: 16_000, speed: 1, toleranceMs: -1 },
    ]) {
      assert.throws(() => createTimeStretch(options), RangeError, JSON.stringify(options));
    }
  });
});
