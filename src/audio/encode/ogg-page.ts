/** CRC-32 of Ogg pages: polynomial 0x04C11DB7, no reflection, initial value 0 (RFC 3533 §6). */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

/** Most lacing values one page may hold. */
const MAX_SEGMENTS = 255;

/** How a page relates to its stream (header_type flags of RFC 3533). */
export interface OggPageFlags {
  /** First page of the stream. */
  bos?: boolean;
  /** Last page of the stream. */
  eos?: boolean;
}

/**
 * One Ogg page holding whole `packets` (each ending on this page), with `granule` as its granule position.
 * Throws RangeError when they need more than 255 lacing values: split them over pages first (see `pagePackets`).
 */
export function encodeOggPage(options: {
  serial: number;
  sequence: number;
  granule: bigint;
  packets: readonly Uint8Array[];
  flags?: OggPageFlags;
}): Uint8Array {
  const lacing: number[] = [];
  for (const packet of options.packets) {
    for (let left = packet.byteLength; ; left -= 255) {
      lacing.push(Math.min(left, 255));
      if (left < 255) break;
    }
  }
  if (lacing.length > MAX_SEGMENTS) throw new RangeError(`${lacing.length} lacing values do not fit one Ogg page`);
  const bodyBytes = options.packets.reduce((n, p) => n + p.byteLength, 0);
  const page = new Uint8Array(27 + lacing.length + bodyBytes);
  const view = new DataView(page.buffer);
  page.set([0x4f, 0x67, 0x67, 0x53]); // "OggS"
  page[5] = (options.flags?.bos ? 2 : 0) | (options.flags?.eos ? 4 : 0);
  view.setBigInt64(6, options.granule, true);
  view.setUint32(14, options.serial, true);
  view.setUint32(18, options.sequence, true);
  page[26] = lacing.length;
  page.set(lacing, 27);
  let offset = 27 + lacing.length;
  for (const packet of options.packets) {
    page.set(packet, offset);
    offset += packet.byteLength;
  }
  view.setUint32(22, oggCrc(page), true);
  return page;
}

/** Groups packets into runs that each fit one page's 255 lacing values, in order. */
export function pagePackets(packets: readonly Uint8Array[]): Uint8Array[][] {
  const pages: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let segments = 0;
  for (const packet of packets) {
    const needed = Math.floor(packet.byteLength / 255) + 1;
    if (segments + needed > MAX_SEGMENTS && current.length > 0) {
      pages.push(current);
      current = [];
      segments = 0;
    }
    current.push(packet);
    segments += needed;
  }
  if (current.length > 0) pages.push(current);
  return pages;
}
