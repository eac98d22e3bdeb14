import { AudioDecodeError, decodeAudio } from '../../audio/decode-audio.js';
import { resample } from '../../audio/resample.js';
import { TtsError } from '../../protocol/errors.js';

/** The sample rate reference clips are kept at, the model's own (Hz). */
export const CLIP_SAMPLE_RATE_HZ = 24_000;

/** Limits on a reference clip's duration, in seconds. */
export interface ClipLimits {
  minSec: number;
  maxSec: number;
}

/** A reference clip ready for the speech encoder: mono samples at 24 kHz. */
export interface ReferenceClip {
  samples: Float32Array;
  /** What it was uploaded as: wav, flac, ogg-vorbis, ogg-opus or mp3. */
  container: string;
  durationSec: number;
}

/**
 * Decodes an uploaded clip (WAV, MP3, FLAC, Ogg Vorbis/Opus) to mono 24 kHz and checks its duration.
 * Throws TtsError BAD_AUDIO, AUDIO_TOO_SHORT or AUDIO_TOO_LONG.
 */
export async function readReferenceClip(bytes: Uint8Array, limits: ClipLimits): Promise<ReferenceClip> {
  let decoded;
  try {
    decoded = await decodeAudio(bytes);
  } catch (err) {
    if (err instanceof AudioDecodeError) throw new TtsError('BAD_AUDIO', `the upload is not usable audio: ${err.message}`);
    throw err;
  }
  // Checked before resampling, so an hour-long upload is refused without the work of converting it.
  const durationSec = decoded.samples.length / decoded.sampleRateHz;
  if (durationSec < limits.minSec) throw new TtsError('AUDIO_TOO_SHORT', `the clip lasts ${durationSec.toFixed(2)} s; at least ${limits.minSec} s is needed`);
  if (durationSec > limits.maxSec) throw new TtsError('AUDIO_TOO_LONG', `the clip lasts ${durationSec.toFixed(2)} s; at most ${limits.maxSec} s is accepted`);
  if (!decoded.samples.some((s) => s !== 0)) throw new TtsError('BAD_AUDIO', 'the clip is silent');
  return { samples: resample(decoded.samples, decoded.sampleRateHz, CLIP_SAMPLE_RATE_HZ), container: decoded.container, durationSec };
}
