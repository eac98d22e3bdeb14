import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeWav } from '../../src/audio/wav.js';
import { fuzzParameters, mutated } from '../helpers/fuzz.js';

function u16(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff];
}
function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

/** A chunk: its id, the size its header claims (often a lie), and its body. */
const chunk = fc.oneof(
  // fmt with plausible and implausible encodings, plain (16 bytes) or extensible (40 bytes)
  fc
    .record({
      format: fc.constantFrom(1, 3, 0xfffe, 0, 2, 0xffff),
      channels: fc.constantFrom(0, 1, 2, 6, 65535),
      rate: fc.constantFrom(0, 8000, 24000, 44100, 0xffffffff),
      bits: fc.constantFrom(0, 8, 16, 24, 32, 64, 7),
      subFormat: fc.constantFrom(1, 3, 0xfffe, 9),
      extensible: fc.boolean(),
      sizeLie: fc.constantFrom(0, 0, -1, 1, 24, 0x7fffffff),
    })
    .map(({ format, channels, rate, bits, subFormat, extensible, sizeLie }) => {
      const body = [...u16(format), ...u16(channels), ...u32(rate), ...u32(rate * channels * (bits / 8)), ...u16((channels * bits) / 8), ...u16(bits)];
      if (extensible) body.push(...u16(22), ...u16(bits), ...u32(0), ...u16(subFormat), ...new Array<number>(14).fill(0));
      return [...ascii('fmt '), ...u32(Math.max(0, body.length + sizeLie)), ...body];
    }),
  fc
    .record({ samples: fc.uint8Array({ maxLength: 64 }), sizeLie: fc.constantFrom(0, 0, 1, -1, 0xffffffff) })
    .map(({ samples, sizeLie }) => [...ascii('data'), ...u32(sizeLie === 0xffffffff ? sizeLie : Math.max(0, samples.length + sizeLie)), ...samples]),
  fc
    .record({ id: fc.constantFrom('LIST', 'junk', 'fact', '\0\0\0\0'), body: fc.uint8Array({ maxLength: 9 }) })
    .map(({ id, body }) => [...ascii(id), ...u32(body.length), ...body, ...(body.length & 1 ? [0] : [])]),
);

/** RIFF/WAVE files built from random chunks in random order. */
const structuredWav = fc.array(chunk, { maxLength: 4 }).map((chunks) => {
  const body = chunks.flat();
  return Uint8Array.from([...ascii('RIFF'), ...u32(body.length + 4), ...ascii('WAVE'), ...body]);
});

/** A valid 16-bit stereo file, for mutation. */
const validWav = fc.uint8Array({ minLength: 4, maxLength: 48 }).map((samples) => {
  const data = samples.subarray(0, samples.length - (samples.length % 4));
  const fmt = [...u16(1), ...u16(2), ...u32(24000), ...u32(96000), ...u16(4), ...u16(16)];
  const body = [...ascii('fmt '), ...u32(16), ...fmt, ...ascii('data'), ...u32(data.length), ...data];
  return Uint8Array.from([...ascii('RIFF'), ...u32(body.length + 4), ...ascii('WAVE'), ...body]);
});

describe('fuzz: decodeWav', () => {
  it('any input gives decoded audio or an Error whose message starts with "WAV:" (never a RangeError from a read past the end)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 96 }), structuredWav, mutated(structuredWav), mutated(validWav, 6)), (bytes) => {
        let wav;
        try {
          wav = decodeWav(bytes);
        } catch (err) {
          assert.ok(err instanceof Error && err.constructor === Error && err.message.startsWith('WAV: '), `threw ${String(err)}`);
          return;
        }
        assert.ok(wav.sampleRateHz > 0 && wav.channels > 0);
        assert.ok(wav.samples instanceof Float32Array);
        assert.ok(wav.samples.length * wav.channels <= bytes.length, 'no more samples than bytes');
      }),
      fuzzParameters(1500),
    );
  });

  it('a valid 16-bit file decodes to samples in [-1, 1]', () => {
    fc.assert(
      fc.property(validWav, (bytes) => {
        const wav = decodeWav(bytes);
        for (const s of wav.samples) assert.ok(s >= -1 && s <= 1);
      }),
      fuzzParameters(200),
    );
  });
});
