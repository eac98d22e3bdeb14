import { packFrame } from './raw-stream.js';

/** A msgpack map of up to 15 entries written key by key, so a key may repeat, as no encoder would write it. */
export function packEntries(entries: Array<[string, unknown]>): Uint8Array {
  if (entries.length > 15) throw new Error('a fixmap holds 15 entries at most');
  const parts = entries.flatMap(([key, value]) => [packFrame(key), packFrame(value)]);
  return Buffer.concat([Uint8Array.of(0x80 + entries.length), ...parts]);
}
