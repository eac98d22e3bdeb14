import { encodeWavHeader } from '../../src/audio/wav-header.js';

/** The s16le audio of one utterance as received, kept for the WAV download. */
export interface Recording {
  readonly samples: number;
  /** Keeps a chunk of s16le bytes (by reference: the chunk is not reused). */
  add(pcm: Uint8Array): void;
  /** A WAV file of the first `samples` samples (all of them by default). */
  toWav(samples?: number): Blob;
}

/** An empty recording at `sampleRateHz`. */
export function createRecording(sampleRateHz: number): Recording {
  const chunks: Uint8Array[] = [];
  let samples = 0;
  return {
    get samples() {
      return samples;
    },
    add(pcm) {
      chunks.push(pcm);
      samples += pcm.byteLength / 2;
    },
    toWav(count = samples) {
      let bytesLeft = Math.max(0, Math.min(count, samples)) * 2;
      const dataBytes = bytesLeft;
      const parts: BlobPart[] = [encodeWavHeader({ sampleRateHz, format: 's16le', dataBytes }) as Uint8Array<ArrayBuffer>];
      for (const chunk of chunks) {
        if (bytesLeft === 0) break;
        const part = chunk.byteLength <= bytesLeft ? chunk : chunk.subarray(0, bytesLeft);
        parts.push(part as Uint8Array<ArrayBuffer>);
        bytesLeft -= part.byteLength;
      }
      return new Blob(parts, { type: 'audio/wav' });
    },
  };
}
