// default_voice.wav: a few seconds of a synthetic voiced sound (a harmonic source with a gliding pitch shaped by
// vowel formants and a syllable-rate envelope), written as a real 16-bit PCM mono WAV at 24 kHz. Deterministic.
import { SAMPLE_RATE_HZ } from './constants.js';

/** Length of the default voice (seconds). */
export const DEFAULT_VOICE_SECONDS = 4;

// Formant centres (Hz) of the vowels /a/, /i/, /u/, /e/, /o/, cycled once per syllable.
const VOWELS: ReadonlyArray<readonly [number, number, number]> = [
  [730, 1090, 2440],
  [270, 2290, 3010],
  [300, 870, 2240],
  [530, 1840, 2480],
  [570, 840, 2410],
];
const SYLLABLES_PER_SECOND = 4;

/** The default voice's samples in [-1, 1] at 24 kHz. */
export function createDefaultVoice(seconds = DEFAULT_VOICE_SECONDS): Float32Array {
  const total = Math.round(seconds * SAMPLE_RATE_HZ);
  const out = new Float32Array(total);
  let phase = 0;
  let peak = 0;
  for (let n = 0; n < total; n++) {
    const t = n / SAMPLE_RATE_HZ;
    const f0 = 125 + 20 * Math.sin(2 * Math.PI * 0.3 * t) + 3 * Math.sin(2 * Math.PI * 5.5 * t);
    phase += (2 * Math.PI * f0) / SAMPLE_RATE_HZ;
    const syllable = t * SYLLABLES_PER_SECOND;
    const vowel = VOWELS[Math.floor(syllable) % VOWELS.length]!;
    let sample = 0;
    for (let h = 1; f0 * h < 5000; h++) {
      const frequency = f0 * h;
      let gain = 0;
      for (const formant of vowel) gain += 1 / (1 + ((frequency - formant) / 120) ** 2);
      sample += (gain / h ** 0.5) * Math.sin(h * phase);
    }
    const envelope = Math.sin(Math.PI * (syllable % 1)) ** 0.6;
    const edges = Math.min(1, t / 0.05, (seconds - t) / 0.05);
    out[n] = sample * envelope * edges;
    peak = Math.max(peak, Math.abs(out[n]!));
  }
  const gain = peak > 0 ? 0.6 / peak : 0;
  for (let n = 0; n < total; n++) out[n]! *= gain;
  return out;
}

/** A 16-bit PCM mono WAV file (44-byte header) of `samples` clamped to [-1, 1]. */
export function encodeWav16(samples: Float32Array, sampleRateHz = SAMPLE_RATE_HZ): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    view.setInt16(44 + i * 2, Math.round(s < 0 ? s * 0x8000 : s * 0x7fff), true);
  }
  return bytes;
}
