/** Splits an Ogg stream fed in arbitrary pieces into its packets (RFC 3533), in order. */
export interface OggPacketReader {
  /** Takes the next bytes; returns the packets completed by them. Throws Error on bytes that are not Ogg pages. */
  push(bytes: Uint8Array): Uint8Array[];
}

/** A reader for one logical stream; page CRCs are not checked (the WebSocket already guarantees the bytes). */
export function createOggPacketReader(): OggPacketReader {
  let buffered = new Uint8Array(0);
  let partial: Uint8Array[] = [];
  return {
    push(bytes) {
      const joined = new Uint8Array(buffered.length + bytes.length);
      joined.set(buffered);
      joined.set(bytes, buffered.length);
      const packets: Uint8Array[] = [];
      let offset = 0;
      while (joined.length - offset >= 27) {
        if (joined[offset] !== 0x4f || joined[offset + 1] !== 0x67 || joined[offset + 2] !== 0x67 || joined[offset + 3] !== 0x53) {
          throw new Error('not an Ogg page');
        }
        const segments = joined[offset + 26]!;
        const lacing = joined.subarray(offset + 27, offset + 27 + segments);
        if (lacing.length < segments) break;
        const bodyBytes = lacing.reduce((n, v) => n + v, 0);
        const pageEnd = offset + 27 + segments + bodyBytes;
        if (pageEnd > joined.length) break;
        let at = offset + 27 + segments;
        for (const value of lacing) {
          partial.push(joined.subarray(at, at + value));
          at += value;
          // A lacing value under 255 ends a packet; 255 continues it (maybe on the next page).
          if (value < 255) {
            const size = partial.reduce((n, p) => n + p.length, 0);
            const packet = new Uint8Array(size);
            let o = 0;
            for (const p of partial) {
              packet.set(p, o);
              o += p.length;
            }
            packets.push(packet);
            partial = [];
          }
        }
        offset = pageEnd;
      }
      buffered = joined.slice(offset);
      partial = partial.map((p) => p.slice());
      return packets;
    },
  };
}
