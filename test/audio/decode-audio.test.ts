import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioDecodeError, decodeAudio } from '../../src/audio/decode-audio.js';
import { encodeWithFfmpeg, FFMPEG_FORMATS } from '../helpers/ffmpeg.js';
import { encodeWav, voicedSound } from '../helpers/wav-file.js';

// Real files from ffmpeg, decoded by the wasm decoders; each format also cut short, which must be refused rather than
// read as a shorter clip.
const SECONDS = 6;

async function rejectsWith(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await assert.rejects(decodeAudio(bytes), (err: unknown) => err instanceof AudioDecodeError && pattern.test(err.message));
}

describe('decodeAudio', () => {
  const wav = encodeWav({ sampleRateHz: 48_000, channels: [voicedSound(48_000, SECONDS, 180), voicedSound(48_000, SECONDS, 180)], encoding: 'pcm16' });

  it('reads a stereo WAV as mono at its own rate', async () => {
    const decoded = await decodeAudio(wav);
    assert.equal(decoded.container, 'wav');
    assert.equal(decoded.sampleRateHz, 48_000);
    assert.equal(decoded.samples.length, 48_000 * SECONDS);
  });

  for (const format of Object.keys(FFMPEG_FORMATS) as Array<keyof typeof FFMPEG_FORMATS>) {
    it(`reads ${format} to the clip's duration (within 60 ms of codec padding), and refuses it cut short`, async () => {
      const bytes = await encodeWithFfmpeg(wav, format, { rateHz: format === 'mp3' ? 44_100 : 48_000 });
      const decoded = await decodeAudio(bytes);
      assert.equal(decoded.container, format);
      assert.ok(Math.abs(decoded.samples.length / decoded.sampleRateHz - SECONDS) < 0.06, `${decoded.samples.length} samples at ${decoded.sampleRateHz} Hz`);
      assert.ok(
        decoded.samples.some((s) => Math.abs(s) > 0.1),
        'the decoded clip is not silent',
      );
      await rejectsWith(bytes.subarray(0, Math.floor(bytes.length * 0.6)), /truncated|cut short/);
      await rejectsWith(bytes.subarray(0, bytes.length - 7), /truncated|cut short/);
    });
  }

  it('refuses empty input, text, a WAV whose header claims more data than it holds, and a WAV with no samples', async () => {
    await rejectsWith(new Uint8Array(0), /empty/);
    await rejectsWith(new TextEncoder().encode('hello, this is not audio at all'), /not WAV, MP3, FLAC or Ogg/);
    const lying = wav.slice();
    new DataView(lying.buffer).setUint32(40, wav.length * 2, true);
    await rejectsWith(lying, /data chunk claims more bytes/);
    await rejectsWith(wav.subarray(0, wav.length - 1000), /RIFF header claims more bytes/);
    await rejectsWith(encodeWav({ sampleRateHz: 16_000, channels: [new Float32Array(0)], encoding: 'pcm16' }), /no audio/);
  });

  it('refuses an Ogg stream of another codec and an MP3 header followed by junk', async () => {
    const ogg = await encodeWithFfmpeg(wav, 'ogg-vorbis');
    const other = ogg.slice();
    other.set(new TextEncoder().encode('\u0001notvrb'), 28);
    await rejectsWith(other, /neither Vorbis nor Opus/);
    const mp3 = await encodeWithFfmpeg(wav, 'mp3');
    const junk = new Uint8Array(mp3.length + 500);
    junk.set(mp3.subarray(0, 2000));
    await rejectsWith(junk, /MP3/);
  });
});
