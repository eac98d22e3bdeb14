import { BitWriter } from './bit-writer.js';
import { concatBytes, type SpeechEncoder } from './speech-encoder.js';

/** Samples per FLAC frame: 4096 is the reference encoder's default, ~170 ms at 24 kHz; the last frame may be shorter. */
const BLOCK_SAMPLES = 4096;
const BITS_PER_SAMPLE = 16;
/** Largest Rice parameter tried; 15 (0b1111) is the escape code of 4-bit Rice partitions. */
const MAX_RICE_PARAM = 14;

/** Residuals of FLAC's fixed polynomial predictors (orders 0..4), from the coefficients of RFC 9639 §9.2.5.1. */
const FIXED_COEFFICIENTS = [[], [1], [2, -1], [3, -3, 1], [4, -6, 4, -1]] as const;

const crc8Table = makeCrcTable(0x07, 8);
const crc16Table = makeCrcTable(0x8005, 16);

function makeCrcTable(poly: number, width: 8 | 16): Uint16Array {
  const top = 1 << (width - 1);
  const mask = (1 << width) - 1;
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << (width - 8);
    for (let bit = 0; bit < 8; bit++) r = (r & top ? (r << 1) ^ poly : r << 1) & mask;
    table[i] = r;
  }
  return table;
}

function crc(bytes: Uint8Array, table: Uint16Array, width: 8 | 16): number {
  let value = 0;
  const mask = (1 << width) - 1;
  for (const byte of bytes) value = ((value << 8) ^ table[((value >>> (width - 8)) ^ byte) & 0xff]!) & mask;
  return value;
}

/** `fLaC` and a STREAMINFO block whose length and MD5 say "unknown", as a stream's must (RFC 9639 §8.2). */
function streamHeader(sampleRateHz: number): Uint8Array {
  const w = new BitWriter();
  for (const c of 'fLaC') w.write(c.charCodeAt(0), 8);
  w.write(1, 1); // last metadata block
  w.write(0, 7); // STREAMINFO
  w.write(34, 24);
  w.write(BLOCK_SAMPLES, 16);
  w.write(BLOCK_SAMPLES, 16);
  w.write(0, 24); // min frame size: unknown
  w.write(0, 24); // max frame size: unknown
  w.write(sampleRateHz, 20);
  w.write(0, 3); // one channel
  w.write(BITS_PER_SAMPLE - 1, 5);
  w.write(0, 4); // total samples (36 bits): unknown
  w.write(0, 16);
  w.write(0, 16);
  for (let i = 0; i < 16; i++) w.write(0, 8); // MD5: unknown
  return w.toBytes();
}

/** FLAC's UTF-8-like coding of the frame number. */
function writeFrameNumber(w: BitWriter, n: number): void {
  if (n < 0x80) return w.write(n, 8);
  const bytes: number[] = [];
  let rest = n;
  while (rest >= 1 << (6 - bytes.length)) {
    bytes.unshift(0x80 | (rest & 0x3f));
    rest = Math.floor(rest / 64);
  }
  const lead = (0xff00 >> (bytes.length + 1)) & 0xff;
  w.write(lead | rest, 8);
  for (const b of bytes) w.write(b, 8);
}

function residuals(x: Int32Array, order: number): Int32Array {
  const c = FIXED_COEFFICIENTS[order]!;
  const out = new Int32Array(x.length - order);
  for (let i = order; i < x.length; i++) {
    let predicted = 0;
    for (let k = 0; k < c.length; k++) predicted += c[k]! * x[i - k - 1]!;
    out[i - order] = x[i]! - predicted;
  }
  return out;
}

/** The cheapest Rice parameter for these residuals and its cost in bits. */
function bestRice(res: Int32Array): { param: number; bits: number } {
  let best = { param: 0, bits: Infinity };
  for (let param = 0; param <= MAX_RICE_PARAM; param++) {
    let bits = res.length * (param + 1);
    for (const r of res) bits += (r >= 0 ? 2 * r : -2 * r - 1) >>> param;
    if (bits < best.bits) best = { param, bits };
  }
  return best;
}

/** One frame: a fixed-predictor subframe (the order that codes smallest) with one Rice partition. */
function encodeFrame(samples: Int32Array, frameNumber: number): Uint8Array {
  let best = { order: 0, res: residuals(samples, 0), rice: bestRice(residuals(samples, 0)) };
  for (let order = 1; order <= 4 && order < samples.length; order++) {
    const res = residuals(samples, order);
    const rice = bestRice(res);
    if (rice.bits + order * BITS_PER_SAMPLE < best.rice.bits + best.order * BITS_PER_SAMPLE) best = { order, res, rice };
  }
  const w = new BitWriter();
  w.write(0b11111111111110, 14); // sync
  w.write(0, 1);
  w.write(0, 1); // fixed block size
  w.write(0b0111, 4); // block size: 16 bits at the header's end
  w.write(0b0000, 4); // sample rate: from STREAMINFO
  w.write(0b0000, 4); // mono
  w.write(0b100, 3); // 16 bits per sample
  w.write(0, 1);
  writeFrameNumber(w, frameNumber);
  w.write(samples.length - 1, 16);
  w.write(crc(w.toBytes(), crc8Table, 8), 8);
  w.write(0, 1);
  w.write(0b001000 | best.order, 6); // SUBFRAME_FIXED
  w.write(0, 1); // no wasted bits
  for (let i = 0; i < best.order; i++) w.writeSigned(samples[i]!, BITS_PER_SAMPLE);
  w.write(0b00, 2); // Rice, 4-bit parameters
  w.write(0, 4); // partition order 0
  const { param } = best.rice;
  w.write(param, 4);
  for (const r of best.res) {
    const u = r >= 0 ? 2 * r : -2 * r - 1;
    w.writeUnary(u >>> param);
    w.write(u & ((1 << param) - 1), param);
  }
  w.alignToByte();
  w.write(crc(w.toBytes(), crc16Table, 16), 16);
  return w.toBytes();
}

/**
 * FLAC (RFC 9639), 16-bit mono, written here: fixed predictors and Rice coding, one frame per 4096 samples
 * as soon as they are in. No library on npm encodes FLAC in small streaming steps without a large build of libFLAC.
 */
export function createFlacEncoder(sampleRateHz: number): SpeechEncoder {
  let pending = new Int32Array(0);
  let frameNumber = 0;
  let headerSent = false;

  const frames = (flush: boolean): Uint8Array => {
    const out: Uint8Array[] = [];
    if (!headerSent) {
      headerSent = true;
      out.push(streamHeader(sampleRateHz));
    }
    let offset = 0;
    while (pending.length - offset >= BLOCK_SAMPLES || (flush && offset < pending.length)) {
      const block = pending.subarray(offset, Math.min(pending.length, offset + BLOCK_SAMPLES));
      out.push(encodeFrame(block, frameNumber++));
      offset += block.length;
    }
    pending = pending.slice(offset);
    return concatBytes(out);
  };

  return {
    contentType: 'audio/flac',
    encode(samples) {
      const joined = new Int32Array(pending.length + samples.length);
      joined.set(pending);
      for (let i = 0; i < samples.length; i++) {
        const s = Math.max(-1, Math.min(1, samples[i] ?? 0));
        joined[pending.length + i] = Math.round(s < 0 ? s * 32768 : s * 32767);
      }
      pending = joined;
      return frames(false);
    },
    finish: () => frames(true),
  };
}
