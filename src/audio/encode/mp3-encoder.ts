import { createMp3Encoder as createLame } from 'wasm-media-encoders';
import type { SpeechEncoder } from './speech-encoder.js';

/** Constant bit rate of the MP3 stream, in kbit/s: clear speech at 24 kHz mono. */
const MP3_BITRATE_KBPS = 64;

/**
 * MP3 (MPEG-2 Layer III at 24 kHz) from LAME compiled to WebAssembly (wasm-media-encoders). A stream has no
 * Xing/LAME header (it would need the length up front), so decoders play LAME's priming delay as well.
 */
export async function createMp3Encoder(sampleRateHz: 24000 | 16000): Promise<SpeechEncoder> {
  const lame = await createLame();
  lame.configure({ channels: 1, sampleRate: sampleRateHz, bitrate: MP3_BITRATE_KBPS });
  return {
    contentType: 'audio/mpeg',
    // The library returns a view of its WebAssembly memory, which the next call overwrites: copy it out.
    encode: (samples) => lame.encode([samples]).slice(),
    finish: () => lame.finalize().slice(),
  };
}
