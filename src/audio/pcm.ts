import type { AudioFormat } from '../protocol/messages.js';

/** Bytes per sample of each wire format. */
export const BYTES_PER_SAMPLE: Record<AudioFormat, number> = { s16le: 2, f32le: 4 };

/** Float samples in [-1, 1] → signed 16-bit little-endian bytes, clamped and rounded. */
export function encodeS16le(samples: Float32Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i] ?? 0));
    view.setInt16(i * 2, Math.round(s < 0 ? s * 32768 : s * 32767), true);
  }
  return bytes;
}

/** Float samples → 32-bit float little-endian bytes (a copy; NaN becomes 0). */
export function encodeF32le(samples: Float32Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] ?? 0;
    view.setFloat32(i * 4, Number.isNaN(s) ? 0 : s, true);
  }
  return bytes;
}

/** Encodes samples in the requested wire format. */
export function encodePcm(samples: Float32Array, format: AudioFormat): Uint8Array {
  return format === 's16le' ? encodeS16le(samples) : encodeF32le(samples);
}

/** Wire bytes → float samples; throws RangeError when the byte count is not whole samples. */
export function decodePcm(bytes: Uint8Array, format: AudioFormat): Float32Array {
  const width = BYTES_PER_SAMPLE[format];
  if (bytes.byteLength % width !== 0) throw new RangeError(`${bytes.byteLength} bytes is not whole ${format} samples`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / width);
  for (let i = 0; i < out.length; i++) {
    out[i] = format === 's16le' ? view.getInt16(i * 2, true) / 32768 : view.getFloat32(i * 4, true);
  }
  return out;
}

/** Root mean square of the samples (0 for none). */
export function rms(samples: Float32Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}
