import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePcm, encodeF32le, encodePcm, encodeS16le, rms } from '../../src/audio/pcm.js';

const int16s = (bytes: Uint8Array) => Array.from(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));

describe('encodeS16le', () => {
  const cases: Array<{ name: string; input: number[]; want: number[] }> = [
    { name: 'full scale both ways', input: [1, -1, 0], want: [32767, -32768, 0] },
    { name: 'clamps beyond full scale', input: [1.5, -7, Infinity, -Infinity], want: [32767, -32768, 32767, -32768] },
    { name: 'rounds to the nearest step', input: [0.5, -0.5, 1 / 32767, 0.4 / 32767], want: [16384, -16384, 1, 0] },
    { name: 'NaN as silence', input: [NaN], want: [0] },
  ];
  for (const { name, input, want } of cases) {
    it(name, () => assert.deepEqual(int16s(encodeS16le(Float32Array.from(input))), want));
  }

  it('writes little-endian bytes', () => {
    assert.deepEqual(Array.from(encodeS16le(Float32Array.from([1]))), [0xff, 0x7f]);
  });
});

describe('encodeF32le', () => {
  it('copies samples exactly and maps NaN to 0', () => {
    const input = Float32Array.from([0.25, -1.5, NaN, 3e-8]);
    assert.deepEqual(Array.from(decodePcm(encodeF32le(input), 'f32le')), [0.25, -1.5, 0, Math.fround(3e-8)]);
  });
});

describe('decodePcm', () => {
  const signal = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i / 3) * 0.9);

  it('inverts s16le within the quantization error', () => {
    const back = decodePcm(encodePcm(signal, 's16le'), 's16le');
    assert.equal(back.length, signal.length);
    // Half a step of rounding plus the 32767-vs-32768 scale of positive samples: under 1.5 steps.
    back.forEach((s, i) => assert.ok(Math.abs(s - signal[i]!) <= 1.5 / 32768, `sample ${i}: ${s} vs ${signal[i]}`));
  });

  it('inverts f32le exactly', () => {
    assert.deepEqual(decodePcm(encodePcm(signal, 'f32le'), 'f32le'), signal);
  });

  it('reads a view that starts inside a larger buffer', () => {
    const bytes = encodeS16le(Float32Array.from([0.5, -0.5]));
    const padded = new Uint8Array(bytes.byteLength + 3);
    padded.set(bytes, 3);
    assert.deepEqual(Array.from(decodePcm(padded.subarray(3), 's16le')), [16384 / 32768, -16384 / 32768]);
  });

  it('throws a RangeError on a partial sample', () => {
    assert.throws(() => decodePcm(new Uint8Array(3), 's16le'), RangeError);
    assert.throws(() => decodePcm(new Uint8Array(6), 'f32le'), RangeError);
  });
});

describe('rms', () => {
  it('is 0 for no samples and for silence, and 1/√2 for a full-scale sine', () => {
    assert.equal(rms(new Float32Array(0)), 0);
    assert.equal(rms(new Float32Array(10)), 0);
    const sine = Float32Array.from({ length: 1000 }, (_, i) => Math.sin((2 * Math.PI * i) / 100));
    assert.ok(Math.abs(rms(sine) - Math.SQRT1_2) < 1e-3);
  });
});
