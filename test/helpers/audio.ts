import { decodePcm } from '../../src/audio/pcm.js';
import type { AudioFormat } from '../../src/protocol/messages.js';

/** The fields of a canonical 44-byte RIFF/WAVE header, read back without trusting them. */
export interface WavHeader {
  riff: string;
  riffSize: number;
  wave: string;
  fmt: string;
  fmtSize: number;
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  data: string;
  dataSize: number;
}

/** Reads the header a WAV writer of this project produces (fmt chunk of 16 bytes, then data). */
export function readWavHeader(bytes: Uint8Array): WavHeader {
  if (bytes.byteLength < 44) throw new Error(`a WAV header needs 44 bytes, got ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  return {
    riff: ascii(0),
    riffSize: view.getUint32(4, true),
    wave: ascii(8),
    fmt: ascii(12),
    fmtSize: view.getUint32(16, true),
    formatTag: view.getUint16(20, true),
    channels: view.getUint16(22, true),
    sampleRateHz: view.getUint32(24, true),
    byteRate: view.getUint32(28, true),
    blockAlign: view.getUint16(32, true),
    bitsPerSample: view.getUint16(34, true),
    data: ascii(36),
    dataSize: view.getUint32(40, true),
  };
}

/** Concatenates wire chunks and decodes them to float samples. */
export function samplesOf(chunks: Uint8Array[], format: AudioFormat = 's16le'): Float32Array {
  return decodePcm(Buffer.concat(chunks), format);
}

/** Words in a text, for "duration fits the text" checks. */
export function wordCount(text: string): number {
  return text.split(/\s+/u).filter((w) => /\p{L}/u.test(w)).length;
}

/** A text of `sentences` short numbered sentences (about 2.5 s of speech each at speed 1). */
export function longText(sentences: number): string {
  return Array.from({ length: sentences }, (_, i) => `This is sentence number ${i + 1} of a long passage.`).join(' ');
}

/** Speech RMS floor: flite's pauses are exact zeros and its speech sits near -19 dBFS, so -40 dBFS is far from both. */
export const SPEECH_RMS_FLOOR = 0.01;
