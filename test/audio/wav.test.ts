import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeWav } from '../../src/audio/wav.js';

interface Chunk {
  id: string;
  body: Uint8Array;
}

function chunk(id: string, body: Uint8Array): Chunk {
  return { id, body };
}

function riff(chunks: Chunk[], form = 'WAVE'): Uint8Array {
  const parts: number[] = [...ascii(form)];
  for (const { id, body } of chunks) {
    parts.push(...ascii(id), ...u32(body.byteLength), ...body);
    if (body.byteLength % 2 === 1) parts.push(0);
  }
  return new Uint8Array([...ascii('RIFF'), ...u32(parts.length), ...parts]);
}

function fmt(format: number, channels: number, sampleRateHz: number, bits: number): Chunk {
  const block = (channels * bits) / 8;
  return chunk('fmt ', bytes([...u16(format), ...u16(channels), ...u32(sampleRateHz), ...u32(sampleRateHz * block), ...u16(block), ...u16(bits)]));
}

/** Encodes interleaved samples in [-1, 1] the way a WAV writer would. */
function pcm(samples: number[], bits: 16 | 24 | 32 | 'float'): Chunk {
  const width = bits === 'float' ? 4 : bits / 8;
  const view = new DataView(new ArrayBuffer(samples.length * width));
  samples.forEach((s, i) => {
    if (bits === 'float') view.setFloat32(i * 4, s, true);
    else if (bits === 16) view.setInt16(i * 2, Math.round(s * 0x8000), true);
    else if (bits === 32) view.setInt32(i * 4, Math.round(s * 0x80000000), true);
    else {
      const v = Math.round(s * 0x800000);
      view.setUint8(i * 3, v & 0xff);
      view.setUint8(i * 3 + 1, (v >> 8) & 0xff);
      view.setInt8(i * 3 + 2, v >> 16);
    }
  });
  return chunk('data', new Uint8Array(view.buffer));
}

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const u16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const bytes = (values: number[]) => new Uint8Array(values);

const SAMPLES = [0, 0.5, -0.5, -1, 0.25];

describe('decodeWav', () => {
  const encodings = [
    { name: 'PCM 16-bit', format: 1, bits: 16 as const, tolerance: 1 / 0x8000 },
    { name: 'PCM 24-bit', format: 1, bits: 24 as const, tolerance: 1 / 0x800000 },
    { name: 'PCM 32-bit', format: 1, bits: 32 as const, tolerance: 1e-9 },
    { name: 'float32', format: 3, bits: 'float' as const, tolerance: 0 },
  ];
  for (const { name, format, bits, tolerance } of encodings) {
    it(`decodes mono ${name}`, () => {
      const wav = decodeWav(riff([fmt(format, 1, 22050, bits === 'float' ? 32 : bits), pcm(SAMPLES, bits)]));
      assert.equal(wav.sampleRateHz, 22050);
      assert.equal(wav.channels, 1);
      assert.equal(wav.samples.length, SAMPLES.length);
      wav.samples.forEach((s, i) => assert.ok(Math.abs(s - SAMPLES[i]!) <= tolerance, `sample ${i}: ${s}`));
    });
  }

  it('mixes stereo to mono by averaging the channels', () => {
    const wav = decodeWav(riff([fmt(1, 2, 16000, 16), pcm([0.5, -0.5, 0.5, 0.25, -1, -1], 16)]));
    assert.equal(wav.channels, 2);
    assert.deepEqual(Array.from(wav.samples), [0, 0.375, -1]);
  });

  it('reads the real format of WAVE_FORMAT_EXTENSIBLE', () => {
    const base = fmt(3, 1, 48000, 32).body;
    const guidTail = [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];
    const extensible = bytes([...u16(0xfffe), ...base.subarray(2), ...u16(22), ...u16(32), ...u32(4), ...u16(3), ...guidTail]);
    const wav = decodeWav(riff([chunk('fmt ', extensible), pcm([0.5, -0.25], 'float')]));
    assert.deepEqual(Array.from(wav.samples), [0.5, -0.25]);
  });

  it('skips unknown chunks, including odd-sized ones with a pad byte', () => {
    const wav = decodeWav(riff([chunk('LIST', bytes([1, 2, 3])), fmt(1, 1, 8000, 16), chunk('fact', bytes([9, 9, 9, 9, 9])), pcm([0.5], 16)]));
    assert.deepEqual(Array.from(wav.samples), [0.5]);
  });

  it('reads a streamed data chunk of unknown size up to the last whole frame', () => {
    const file = riff([fmt(1, 2, 8000, 16), pcm([0.5, 0.5, 0.25, 0.25], 16)]);
    const dataBytes = 8;
    const sizeAt = file.byteLength - dataBytes - 4;
    new DataView(file.buffer).setUint32(sizeAt, 0xffffffff, true);
    const truncated = file.subarray(0, file.byteLength - 1);
    assert.deepEqual(Array.from(decodeWav(truncated).samples), [0.5]);
    assert.deepEqual(Array.from(decodeWav(file).samples), [0.5, 0.25]);
  });

  it('decodes from a view that does not start at the beginning of its buffer', () => {
    const file = riff([fmt(1, 1, 8000, 16), pcm([0.25, -0.25], 16)]);
    const padded = new Uint8Array(file.byteLength + 3);
    padded.set(file, 3);
    assert.deepEqual(Array.from(decodeWav(padded.subarray(3)).samples), [0.25, -0.25]);
  });

  const malformed: Array<{ name: string; file: Uint8Array; message: RegExp }> = [
    { name: 'empty input', file: new Uint8Array(0), message: /not a RIFF\/WAVE/ },
    { name: 'a RIFF file of another form', file: riff([], 'AVI '), message: /not a RIFF\/WAVE/ },
    { name: 'no fmt chunk', file: riff([pcm([0], 16)]), message: /data chunk before fmt/ },
    { name: 'no chunks at all', file: riff([]), message: /no fmt chunk/ },
    { name: 'no data chunk', file: riff([fmt(1, 1, 8000, 16)]), message: /no data chunk/ },
    { name: 'a short fmt chunk', file: riff([chunk('fmt ', bytes([1, 0, 1, 0])), pcm([0], 16)]), message: /fmt chunk too short/ },
    { name: 'zero channels', file: riff([fmt(1, 0, 8000, 16), pcm([0], 16)]), message: /zero channels/ },
    { name: 'zero sample rate', file: riff([fmt(1, 1, 0, 16), pcm([0], 16)]), message: /zero sample rate/ },
    { name: '8-bit PCM', file: riff([fmt(1, 1, 8000, 8), chunk('data', bytes([128]))]), message: /unsupported encoding/ },
    { name: 'ADPCM', file: riff([fmt(2, 1, 8000, 4), chunk('data', bytes([0]))]), message: /unsupported encoding/ },
    { name: '64-bit float', file: riff([fmt(3, 1, 8000, 64), chunk('data', new Uint8Array(8))]), message: /unsupported encoding/ },
  ];
  for (const { name, file, message } of malformed) {
    it(`throws a clear Error on ${name}`, () => {
      assert.throws(
        () => decodeWav(file),
        (err: unknown) => err instanceof Error && message.test(err.message),
      );
    });
  }
});
