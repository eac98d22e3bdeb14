// Reference-voice WAV files in the encodings people bring: 16-bit PCM or float32, any rate, mono or stereo.
import { writeFile } from 'node:fs/promises';

/** How to write a WAV: one Float32Array per channel (equal lengths), at `sampleRateHz`. */
export interface WavSpec {
  sampleRateHz: number;
  channels: Float32Array[];
  encoding: 'pcm16' | 'float32';
}

/** The bytes of a canonical RIFF/WAVE file (16-byte fmt chunk, interleaved frames). */
export function encodeWav(spec: WavSpec): Uint8Array {
  const channels = spec.channels.length;
  const frames = spec.channels[0]?.length ?? 0;
  const width = spec.encoding === 'pcm16' ? 2 : 4;
  const dataBytes = frames * channels * width;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, spec.encoding === 'pcm16' ? 1 : 3, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, spec.sampleRateHz, true);
  view.setUint32(28, spec.sampleRateHz * channels * width, true);
  view.setUint16(32, channels * width, true);
  view.setUint16(34, width * 8, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let frame = 0; frame < frames; frame++) {
    for (let channel = 0; channel < channels; channel++) {
      const offset = 44 + (frame * channels + channel) * width;
      const sample = Math.max(-1, Math.min(1, spec.channels[channel]![frame]!));
      if (spec.encoding === 'float32') view.setFloat32(offset, sample, true);
      else view.setInt16(offset, Math.round(sample * 0x7fff), true);
    }
  }
  return bytes;
}

/** Writes `spec` as a WAV file at `path`. */
export function writeWav(path: string, spec: WavSpec): Promise<void> {
  return writeFile(path, encodeWav(spec));
}

/**
 * A voiced test sound sampled directly at `sampleRateHz` (so the same sound at any rate): harmonics of a gliding
 * pitch `f0Hz` under a syllable-rate envelope, peak about 0.5.
 */
export function voicedSound(sampleRateHz: number, seconds: number, f0Hz: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRateHz));
  for (let n = 0; n < out.length; n++) {
    const t = n / sampleRateHz;
    const phase = 2 * Math.PI * (f0Hz * t + 8 * Math.sin(2 * Math.PI * 0.5 * t));
    let sample = 0;
    for (let h = 1; h <= 6; h++) sample += Math.sin(h * phase) / h;
    out[n] = 0.3 * sample * (0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t));
  }
  return out;
}
