import { createStreamResampler } from '../stream-resampler.js';
import { createAacEncoder } from './aac-encoder.js';
import { createFlacEncoder } from './flac-encoder.js';
import { createMp3Encoder } from './mp3-encoder.js';
import { createOpusEncoder } from './opus-encoder.js';
import { createPcmEncoder } from './pcm-encoder.js';
import { concatBytes, type SpeechEncoder } from './speech-encoder.js';
import { createWavEncoder } from './wav-encoder.js';

/** The formats OpenAI's speech API names, in its order. */
export const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
export type SpeechFormat = (typeof SPEECH_FORMATS)[number];

/** Formats this server encodes: all of OpenAI's. */
export const ENCODABLE_FORMATS = SPEECH_FORMATS;
export type EncodableFormat = (typeof ENCODABLE_FORMATS)[number];

/** Every encoded stream is mono at this rate, as OpenAI's are (its `pcm` is 24 kHz s16le). */
export const ENCODED_SAMPLE_RATE_HZ = 24_000;

/** True when `value` names a format this server encodes. */
export function isEncodableFormat(value: unknown): value is EncodableFormat {
  return (ENCODABLE_FORMATS as readonly unknown[]).includes(value);
}

/** Samples per codec frame of each format at 24 kHz: the precision a decoded duration can be expected to have. */
export const FRAME_SAMPLES: Record<EncodableFormat, number> = { mp3: 576, opus: 480, aac: 1024, flac: 4096, wav: 1, pcm: 1 };

function createAt24k(format: EncodableFormat): SpeechEncoder | Promise<SpeechEncoder> {
  switch (format) {
    case 'mp3':
      return createMp3Encoder(ENCODED_SAMPLE_RATE_HZ);
    case 'opus':
      return createOpusEncoder(ENCODED_SAMPLE_RATE_HZ);
    case 'aac':
      return createAacEncoder(ENCODED_SAMPLE_RATE_HZ);
    case 'flac':
      return createFlacEncoder(ENCODED_SAMPLE_RATE_HZ);
    case 'wav':
      return createWavEncoder(ENCODED_SAMPLE_RATE_HZ);
    case 'pcm':
      return createPcmEncoder();
  }
}

/**
 * A streaming encoder for `format` taking mono float samples at `inputRateHz` (the engine's rate); audio is
 * resampled to 24 kHz on the way in when the engine runs at another rate.
 */
export async function createSpeechEncoder(format: EncodableFormat, inputRateHz: number): Promise<SpeechEncoder> {
  const inner = await createAt24k(format);
  if (inputRateHz === ENCODED_SAMPLE_RATE_HZ) return inner;
  const resampler = createStreamResampler(inputRateHz, ENCODED_SAMPLE_RATE_HZ);
  return {
    contentType: inner.contentType,
    encode: (samples) => inner.encode(resampler.push(samples)),
    finish: () => concatBytes([inner.encode(resampler.finish()), inner.finish()]),
  };
}
