import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ENCODABLE_FORMATS, createSpeechEncoder, type EncodableFormat } from '../../src/audio/encode/create-speech-encoder.js';
import { assertDuration, decodeAudio, requireFfmpeg } from '../helpers/ffmpeg.js';

const EXPECTED_CODEC: Record<EncodableFormat, { format: string; codec: string }> = {
  mp3: { format: 'mp3', codec: 'mp3' },
  opus: { format: 'ogg', codec: 'opus' },
  aac: { format: 'aac', codec: 'aac' },
  flac: { format: 'flac', codec: 'flac' },
  wav: { format: 'wav', codec: 'pcm_s16le' },
  pcm: { format: 's16le', codec: 'pcm_s16le' },
};

/** A second and a bit of a tone with some noise-like detail, at `rateHz`. */
function testSignal(rateHz: number, seconds: number): Float32Array {
  const n = Math.round(rateHz * seconds);
  return Float32Array.from({ length: n }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * i) / rateHz) + 0.1 * Math.sin(i * 0.37));
}

before(() => requireFfmpeg());

describe('speech encoders stream every chunk and decode back to the input length', () => {
  for (const format of ENCODABLE_FORMATS) {
    for (const inputRateHz of [16_000, 24_000]) {
      it(`${format} from ${inputRateHz} Hz in 100 ms chunks`, async () => {
        const input = testSignal(inputRateHz, 1.2345);
        const encoder = await createSpeechEncoder(format, inputRateHz);
        const chunk = inputRateHz / 10;
        const parts: Uint8Array[] = [];
        let bytesBeforeFinish = 0;
        for (let offset = 0; offset < input.length; offset += chunk) {
          const bytes = encoder.encode(input.subarray(offset, offset + chunk));
          bytesBeforeFinish += bytes.byteLength;
          parts.push(bytes);
        }
        // Streaming: most of the stream left before the end of the input, not all at finish.
        const tail = encoder.finish();
        parts.push(tail);
        assert.ok(bytesBeforeFinish > tail.byteLength, `${bytesBeforeFinish} bytes while encoding, ${tail.byteLength} at the end`);
        const decoded = decodeAudio(Buffer.concat(parts), { rawPcm: format === 'pcm' });
        assert.deepEqual({ format: decoded.formatName, codec: decoded.codecName, channels: decoded.channels }, { ...EXPECTED_CODEC[format], channels: 1 });
        assertDuration(format, decoded.samples24k, Math.round((input.length * 24_000) / inputRateHz));
      });
    }
  }

  it('flac is lossless: ffmpeg decodes it to exactly the samples the wav stream carries', async () => {
    const input = testSignal(24_000, 2.5);
    const encode = async (format: EncodableFormat) => {
      const encoder = await createSpeechEncoder(format, 24_000);
      const parts = [encoder.encode(input.subarray(0, 30_000)), encoder.encode(input.subarray(30_000)), encoder.finish()];
      return decodeAudio(Buffer.concat(parts)).pcm;
    };
    const flac = await encode('flac');
    assert.equal(flac.byteLength, input.length * 2);
    assert.ok(flac.equals(await encode('wav')));
  });

  it('an empty stream still decodes as a valid, empty file (wav)', async () => {
    const encoder = await createSpeechEncoder('wav', 24_000);
    const bytes = encoder.finish();
    assert.equal(bytes.byteLength, 44);
  });
});
