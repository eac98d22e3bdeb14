// ADTS (Audio Data Transport Stream, ISO/IEC 13818-7 §6.2 / 14496-3 §1.A.2): the 7-byte header in front of every raw
// AAC frame that makes a self-describing stream, the framing OpenAI's `aac` answers use and every player reads.

/** Bytes in an ADTS header without CRC. */
export const ADTS_HEADER_BYTES = 7;

/** The largest frame (header included) the 13-bit length field can describe. */
const MAX_ADTS_FRAME_BYTES = 0x1fff;

/** Sampling-frequency indices of ISO/IEC 14496-3 Table 1.18, in index order. */
const SAMPLE_RATES_HZ = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** MPEG-4 audio object type of AAC-LC; ADTS stores it minus one in its 2-bit profile field. */
const AAC_LC_OBJECT_TYPE = 2;

/** Buffer fullness 0x7FF: a variable-bit-rate stream, so decoders do not model the bit reservoir. */
const VBR_BUFFER_FULLNESS = 0x7ff;

/** What every header of one stream repeats. */
export interface AdtsStreamInfo {
  /** One of the 13 MPEG-4 sampling frequencies, in Hz. */
  sampleRateHz: number;
  /** Channel configuration 1–7 (1 is mono). */
  channels: number;
}

/** The 7-byte AAC-LC ADTS header (no CRC) for a raw frame of `payloadBytes`; throws RangeError on what ADTS cannot carry. */
export function encodeAdtsHeader(payloadBytes: number, info: AdtsStreamInfo): Uint8Array {
  const rateIndex = SAMPLE_RATES_HZ.indexOf(info.sampleRateHz);
  if (rateIndex < 0) throw new RangeError(`ADTS has no sampling-frequency index for ${info.sampleRateHz} Hz`);
  if (!Number.isInteger(info.channels) || info.channels < 1 || info.channels > 7) throw new RangeError(`ADTS cannot signal ${info.channels} channels`);
  const frameBytes = ADTS_HEADER_BYTES + payloadBytes;
  if (!Number.isInteger(payloadBytes) || payloadBytes < 0 || frameBytes > MAX_ADTS_FRAME_BYTES) {
    throw new RangeError(`an ADTS frame cannot hold ${payloadBytes} bytes`);
  }
  const header = new Uint8Array(ADTS_HEADER_BYTES);
  header[0] = 0xff; // syncword 0xFFF …
  header[1] = 0xf1; // … then MPEG-4, layer 0, protection absent (no CRC)
  header[2] = ((AAC_LC_OBJECT_TYPE - 1) << 6) | (rateIndex << 2) | (info.channels >> 2);
  header[3] = ((info.channels & 0x3) << 6) | (frameBytes >> 11);
  header[4] = (frameBytes >> 3) & 0xff;
  header[5] = ((frameBytes & 0x7) << 5) | (VBR_BUFFER_FULLNESS >> 6);
  header[6] = (VBR_BUFFER_FULLNESS & 0x3f) << 2; // one raw data block per frame: the field holds blocks minus one
  return header;
}
