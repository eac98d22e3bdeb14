import { OpusDecoder } from 'opus-decoder';
import { createOggPacketReader } from './ogg-packets.js';

/** Rates libopus decodes to directly, so no resampling is needed for the player. */
const OPUS_RATES = [8000, 12000, 16000, 24000, 48000] as const;
type OpusRate = (typeof OPUS_RATES)[number];

/** True when Opus audio can be decoded straight to `sampleRateHz`, the rate the page plays at. */
export function canDecodeOpusAt(sampleRateHz: number): sampleRateHz is OpusRate {
  return (OPUS_RATES as readonly number[]).includes(sampleRateHz);
}

/** Decodes one request's Ogg Opus pages, as `audio` frames bring them, into mono float samples. */
export interface OpusStreamDecoder {
  /** The samples the next bytes complete (none while only the headers have come). */
  decode(bytes: Uint8Array): Promise<Float32Array>;
  /** Frees the decoder's WebAssembly memory. */
  free(): void;
}

/**
 * A decoder to `sampleRateHz` (libopus in WebAssembly, from opus-decoder): it waits for OpusHead to learn the
 * pre-skip, skips OpusTags, then decodes every audio packet as it completes.
 */
export function createOpusStreamDecoder(sampleRateHz: OpusRate): OpusStreamDecoder {
  const reader = createOggPacketReader();
  let decoder: OpusDecoder<OpusRate> | undefined;
  let headers = 0;
  return {
    async decode(bytes) {
      const parts: Float32Array[] = [];
      for (const packet of reader.push(bytes)) {
        if (headers === 0) {
          // OpusHead: the pre-skip, at 48 kHz, is bytes 10-11.
          const preSkip = packet[10]! | (packet[11]! << 8);
          decoder = new OpusDecoder({ sampleRate: sampleRateHz, channels: 1, preSkip });
          await decoder.ready;
          headers += 1;
        } else if (headers === 1) {
          headers += 1;
        } else if (decoder) {
          parts.push(decoder.decodeFrame(packet).channelData[0] ?? new Float32Array(0));
        }
      }
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts) {
        out.set(part, offset);
        offset += part.length;
      }
      return out;
    },
    free() {
      decoder?.free();
    },
  };
}
