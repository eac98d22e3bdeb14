import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createEncoder } from 'wasm-media-encoders';
import type { SpeechEncoder } from './speech-encoder.js';

/** Constant bit rate of the MP3 stream, in kbit/s: clear speech at 24 kHz mono. */
const MP3_BITRATE_KBPS = 64;

/** LAME's WebAssembly module, compiled once per process: compiling it for each request would add ~30 ms to its first byte. */
let lameModule: Promise<WebAssembly.Module> | undefined;

function compiledLame(): Promise<WebAssembly.Module> {
  lameModule ??= readFile(createRequire(import.meta.url).resolve('wasm-media-encoders/wasm/mp3')).then((bytes) => WebAssembly.compile(bytes));
  return lameModule;
}

/**
 * MP3 (MPEG-2 Layer III at 24 kHz) from LAME compiled to WebAssembly (wasm-media-encoders). A stream has no
 * Xing/LAME header (it would need the length up front), so decoders play LAME's priming delay as well.
 */
export async function createMp3Encoder(sampleRateHz: 24000 | 16000): Promise<SpeechEncoder> {
  const lame = await createEncoder('audio/mpeg', await compiledLame());
  lame.configure({ channels: 1, sampleRate: sampleRateHz, bitrate: MP3_BITRATE_KBPS });
  return {
    contentType: 'audio/mpeg',
    // The library returns a view of its WebAssembly memory, which the next call overwrites: copy it out.
    encode: (samples) => lame.encode([samples]).slice(),
    finish: () => lame.finalize().slice(),
  };
}
