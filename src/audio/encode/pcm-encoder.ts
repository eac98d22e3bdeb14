import { encodeS16le } from '../pcm.js';
import type { SpeechEncoder } from './speech-encoder.js';

/** Raw signed 16-bit little-endian mono samples, no header (OpenAI's `pcm`). */
export function createPcmEncoder(): SpeechEncoder {
  return {
    contentType: 'audio/pcm',
    encode: (samples) => encodeS16le(samples),
    finish: () => new Uint8Array(0),
  };
}
