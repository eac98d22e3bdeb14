import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { AudioDecodeError, decodeAudio } from '../../src/audio/decode-audio.js';
import { parseMultipart } from '../../src/server/multipart.js';
import { encodeWithFfmpeg, FFMPEG_FORMATS } from '../helpers/ffmpeg.js';
import { fuzzParameters, valueOrCodedError, mutated } from '../helpers/fuzz.js';
import { encodeWav, voicedSound } from '../helpers/wav-file.js';

// Uploads are the one place the workers read files strangers wrote: damaged forms and damaged audio of every accepted
// format must end in a coded refusal (or decode), never another exception or a crash of the wasm decoders.
const BOUNDARY = 'fuzzboundary';
const form = new TextEncoder().encode(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nvoice\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF....WAVE\r\n--${BOUNDARY}--\r\n`,
);

describe('upload fuzzing', () => {
  it('parseMultipart returns parts or throws BAD_MESSAGE for any damaged form', () => {
    fc.assert(
      fc.property(mutated(fc.constant(form), 6), (body) => {
        valueOrCodedError(() => parseMultipart(body, BOUNDARY), ['BAD_MESSAGE']);
      }),
      fuzzParameters(400),
    );
  });

  const wav = encodeWav({ sampleRateHz: 16_000, channels: [voicedSound(16_000, 1, 150)], encoding: 'pcm16' });
  const files: Record<string, Uint8Array> = { wav };
  before(async () => {
    for (const format of Object.keys(FFMPEG_FORMATS) as Array<keyof typeof FFMPEG_FORMATS>) files[format] = await encodeWithFfmpeg(wav, format);
  });

  for (const format of ['wav', ...Object.keys(FFMPEG_FORMATS)]) {
    it(`decodeAudio decodes or refuses with AudioDecodeError any damaged ${format} file`, async () => {
      await fc.assert(
        fc.asyncProperty(mutated(fc.constant(files[format]!), 4), async (bytes) => {
          try {
            const decoded = await decodeAudio(bytes);
            assert.ok(decoded.sampleRateHz > 0 && decoded.samples.length > 0);
          } catch (err) {
            assert.ok(err instanceof AudioDecodeError, `threw ${String(err)}`);
          }
        }),
        fuzzParameters(60),
      );
    });
  }
});
