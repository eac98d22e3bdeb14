// Reads ADTS streams back field by field, without trusting the writer: the tests compare what our headers say with
// what FFmpeg's own ADTS muxer writes and with what the frames hold.

/** The fields of one ADTS header (ISO/IEC 14496-3 §1.A.2.2). */
export interface AdtsFields {
  syncword: number;
  mpegVersionId: number;
  layer: number;
  protectionAbsent: number;
  /** MPEG-4 audio object type minus one (1 is AAC-LC). */
  profile: number;
  sampleRateIndex: number;
  channelConfiguration: number;
  /** Header plus payload, in bytes. */
  frameLength: number;
  bufferFullness: number;
  rawDataBlocks: number;
}

/** Reads the 7-byte header at the start of `bytes`. */
export function readAdtsHeader(bytes: Uint8Array): AdtsFields {
  if (bytes.byteLength < 7) throw new Error(`an ADTS header needs 7 bytes, got ${bytes.byteLength}`);
  let bits = 0n;
  for (const byte of bytes.subarray(0, 7)) bits = (bits << 8n) | BigInt(byte);
  let consumed = 0;
  const take = (width: number) => {
    consumed += width;
    return Number((bits >> BigInt(56 - consumed)) & ((1n << BigInt(width)) - 1n));
  };
  const syncword = take(12);
  const mpegVersionId = take(1);
  const layer = take(2);
  const protectionAbsent = take(1);
  const profile = take(2);
  const sampleRateIndex = take(4);
  take(1); // private bit
  const channelConfiguration = take(3);
  take(4); // original/copy, home, copyright id bit and start
  const frameLength = take(13);
  const bufferFullness = take(11);
  const rawDataBlocks = take(2);
  return { syncword, mpegVersionId, layer, protectionAbsent, profile, sampleRateIndex, channelConfiguration, frameLength, bufferFullness, rawDataBlocks };
}

/** Splits an ADTS stream into whole frames by their length fields; throws where a frame does not start with the syncword. */
export function splitAdtsFrames(bytes: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.byteLength;) {
    const header = readAdtsHeader(bytes.subarray(offset));
    if (header.syncword !== 0xfff) throw new Error(`no ADTS syncword at byte ${offset}`);
    if (header.frameLength < 7 || offset + header.frameLength > bytes.byteLength) throw new Error(`ADTS frame at byte ${offset} runs past the end`);
    frames.push(bytes.subarray(offset, offset + header.frameLength));
    offset += header.frameLength;
  }
  return frames;
}
