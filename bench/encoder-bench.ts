import { ENCODABLE_FORMATS, ENCODED_SAMPLE_RATE_HZ, createSpeechEncoder } from '../src/audio/encode/create-speech-encoder.js';
import { printTable } from './stats.js';

// Each speech encoder fed 20 s of voice-like audio at 24 kHz in 40 ms chunks (a Chatterbox chunk's order of size), as
// the speech route feeds it: real-time factor (encode time / audio time), how much audio and wall time pass before the
// first byte, the bit rate that comes out, and what making an encoder costs the first time in the process (a
// WebAssembly module compiled or loaded) and later.

const SECONDS = 20;
const CHUNK_MS = 40;
const ROUNDS = 3;

/** A buzzy 120 Hz voice with a moving formant and some noise: closer to speech than a sine for the codecs. */
function voiceLike(samples: number): Float32Array {
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 0x1_0000_0000 - 0.5) * 0.05;
  return Float32Array.from({ length: samples }, (_, i) => {
    const t = i / ENCODED_SAMPLE_RATE_HZ;
    const formant = 600 + 400 * Math.sin(2 * Math.PI * 0.7 * t);
    let s = 0;
    for (let h = 1; h <= 20; h++) s += Math.sin(2 * Math.PI * 120 * h * t) / h / (1 + Math.abs(120 * h - formant) / 200);
    return 0.3 * s * (0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t)) + noise();
  });
}

/** The encoders section of `npm run bench`. */
export async function benchEncoders(): Promise<void> {
  const audio = voiceLike(SECONDS * ENCODED_SAMPLE_RATE_HZ);
  const chunk = (ENCODED_SAMPLE_RATE_HZ * CHUNK_MS) / 1000;
  const rows: Array<Array<string | number>> = [];
  for (const format of ENCODABLE_FORMATS) {
    let best = { rtf: Infinity, firstAudioMs: 0, firstWallMs: 0, kbps: 0 };
    const setupMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      const encoder = await createSpeechEncoder(format, ENCODED_SAMPLE_RATE_HZ);
      setupMs.push(performance.now() - started);
      let bytes = 0;
      let firstAudioMs = Number.NaN;
      let firstWallMs = Number.NaN;
      for (let offset = 0; offset < audio.length; offset += chunk) {
        const out = encoder.encode(audio.subarray(offset, offset + chunk));
        if (out.byteLength > 0 && Number.isNaN(firstAudioMs)) {
          firstAudioMs = ((offset + chunk) / ENCODED_SAMPLE_RATE_HZ) * 1000;
          firstWallMs = performance.now() - started;
        }
        bytes += out.byteLength;
      }
      bytes += encoder.finish().byteLength;
      const rtf = (performance.now() - started) / 1000 / SECONDS;
      if (rtf < best.rtf) best = { rtf, firstAudioMs, firstWallMs, kbps: (bytes * 8) / SECONDS / 1000 };
    }
    const setup = `${setupMs[0]!.toFixed(1)} / ${Math.min(...setupMs.slice(1)).toFixed(1)}`;
    rows.push([format, best.rtf.toFixed(4), best.firstAudioMs.toFixed(0), best.firstWallMs.toFixed(1), best.kbps.toFixed(1), setup]);
  }
  printTable(
    `Speech encoders: ${SECONDS} s of voice-like audio at 24 kHz in ${CHUNK_MS} ms chunks (best of ${ROUNDS})`,
    ['format', 'real-time factor', 'audio before first byte ms', 'wall time to first byte ms (incl. setup)', 'kbit/s', 'setup ms: first / later'],
    rows,
  );
}
