import { encodeS16le } from '../pcm.js';
import { encodeWavHeader } from '../wav-header.js';
import { concatBytes, type SpeechEncoder } from './speech-encoder.js';

/** 16-bit mono WAV whose header says "length unknown", as a stream must before its end (players read to the end). */
export function createWavEncoder(sampleRateHz: number): SpeechEncoder {
  let headerSent = false;
  return {
    contentType: 'audio/wav',
    encode(samples) {
      const pcm = encodeS16le(samples);
      if (headerSent) return pcm;
      headerSent = true;
      return concatBytes([encodeWavHeader({ sampleRateHz, format: 's16le' }), pcm]);
    },
    finish: () => (headerSent ? new Uint8Array(0) : encodeWavHeader({ sampleRateHz, format: 's16le', dataBytes: 0 })),
  };
}
