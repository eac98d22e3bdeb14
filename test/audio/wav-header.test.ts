import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeS16le } from '../../src/audio/pcm.js';
import { decodeWav } from '../../src/audio/wav.js';
import { encodeWavHeader } from '../../src/audio/wav-header.js';
import { readWavHeader } from '../helpers/audio.js';

describe('encodeWavHeader', () => {
  const cases = [
    { format: 's16le' as const, formatTag: 1, width: 2 },
    { format: 'f32le' as const, formatTag: 3, width: 4 },
  ];
  for (const { format, formatTag, width } of cases) {
    it(`describes mono ${format} with known sizes`, () => {
      const header = encodeWavHeader({ sampleRateHz: 16000, format, dataBytes: 1000 * width });
      assert.equal(header.byteLength, 44);
      assert.deepEqual(readWavHeader(header), {
        riff: 'RIFF',
        riffSize: 36 + 1000 * width,
        wave: 'WAVE',
        fmt: 'fmt ',
        fmtSize: 16,
        formatTag,
        channels: 1,
        sampleRateHz: 16000,
        byteRate: 16000 * width,
        blockAlign: width,
        bitsPerSample: width * 8,
        data: 'data',
        dataSize: 1000 * width,
      });
    });
  }

  it('marks the sizes unknown for a stream', () => {
    const header = readWavHeader(encodeWavHeader({ sampleRateHz: 24000, format: 's16le' }));
    assert.equal(header.riffSize, 0xffffffff);
    assert.equal(header.dataSize, 0xffffffff);
  });

  it('makes a file the WAV decoder reads back', () => {
    const pcm = encodeS16le(Float32Array.from([0.5, -0.25, 0]));
    const file = new Uint8Array([...encodeWavHeader({ sampleRateHz: 22050, format: 's16le', dataBytes: pcm.byteLength }), ...pcm]);
    const wav = decodeWav(file);
    assert.equal(wav.sampleRateHz, 22050);
    assert.equal(wav.channels, 1);
    assert.equal(wav.samples.length, 3);
    assert.ok(Math.abs(wav.samples[0]! - 0.5) < 1e-4 && Math.abs(wav.samples[1]! + 0.25) < 1e-4);
  });
});
