import type { AudioFormat } from '../protocol/messages.js';
import { BYTES_PER_SAMPLE } from './pcm.js';

/** Size fields written when the length is not known yet (a stream); players read to the end. */
const UNKNOWN_SIZE = 0xffffffff;

/**
 * A 44-byte RIFF/WAVE header for mono audio. Pass `dataBytes` when known; without it the size
 * fields say "unknown", which players accept for streamed WAV.
 */
export function encodeWavHeader(options: { sampleRateHz: number; format: AudioFormat; dataBytes?: number }): Uint8Array {
  const width = BYTES_PER_SAMPLE[options.format];
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) header[offset + i] = text.charCodeAt(i);
  };
  const data = options.dataBytes;
  ascii(0, 'RIFF');
  view.setUint32(4, data === undefined ? UNKNOWN_SIZE : 36 + data, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, options.format === 'f32le' ? 3 : 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, options.sampleRateHz, true);
  view.setUint32(28, options.sampleRateHz * width, true);
  view.setUint16(32, width, true);
  view.setUint16(34, width * 8, true);
  ascii(36, 'data');
  view.setUint32(40, data === undefined ? UNKNOWN_SIZE : data, true);
  return header;
}
