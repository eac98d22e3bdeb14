import OpusScript from 'opusscript';
import { encodeS16le } from '../pcm.js';
import { encodeOggPage, pagePackets } from './ogg-page.js';
import { concatBytes, type SpeechEncoder } from './speech-encoder.js';

/** Opus frame length: 20 ms, the usual choice for speech. */
const FRAME_MS = 20;
/** Target bit rate, in bit/s: transparent-sounding speech at a tenth of 16-bit 24 kHz PCM. */
const OPUS_BITRATE_BPS = 32_000;
/** Ogg Opus granule positions always count 48 kHz samples (RFC 7845 §4). */
const GRANULE_RATE_HZ = 48_000;
/** The libopus encoder's look-ahead (2.5 ms + 4 ms delay compensation) at 48 kHz, which decoders skip. */
const PRE_SKIP_48K = 312;
const OPUS_SET_BITRATE = 4002;

/** Sample rates libopus encodes natively. */
export type OpusSampleRateHz = 8000 | 12000 | 16000 | 24000 | 48000;

function opusHead(sampleRateHz: number): Uint8Array {
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set(new TextEncoder().encode('OpusHead'));
  head[8] = 1; // version
  head[9] = 1; // channels
  view.setUint16(10, PRE_SKIP_48K, true);
  view.setUint32(12, sampleRateHz, true);
  view.setInt16(16, 0, true); // output gain
  head[18] = 0; // channel mapping family: mono/stereo
  return head;
}

function opusTags(): Uint8Array {
  const vendor = new TextEncoder().encode('chatterbox-stream (libopus)');
  const tags = new Uint8Array(8 + 4 + vendor.byteLength + 4);
  const view = new DataView(tags.buffer);
  tags.set(new TextEncoder().encode('OpusTags'));
  view.setUint32(8, vendor.byteLength, true);
  tags.set(vendor, 12);
  view.setUint32(12 + vendor.byteLength, 0, true); // no user comments
  return tags;
}

/**
 * Ogg Opus (RFC 7845): libopus compiled to WebAssembly (opusscript) in 20 ms frames, framed into Ogg pages here.
 * Every `encode` call ends with a page holding the frames it completed; the last page's granule position trims the
 * padding, so the stream decodes to exactly the samples given.
 */
export function createOpusEncoder(sampleRateHz: OpusSampleRateHz): SpeechEncoder {
  const opus = new OpusScript(sampleRateHz, 1, OpusScript.Application.VOIP, { wasm: true });
  opus.encoderCTL(OPUS_SET_BITRATE, OPUS_BITRATE_BPS);
  const frameSamples = (sampleRateHz * FRAME_MS) / 1000;
  const granulePerSample = GRANULE_RATE_HZ / sampleRateHz;
  const serial = (Math.random() * 0x1_0000_0000) >>> 0;
  let sequence = 0;
  let pending = new Float32Array(0);
  let framesEncoded = 0;
  let samplesIn = 0;
  let headerSent = false;

  const page = (packets: readonly Uint8Array[], granule: bigint, flags: { bos?: boolean; eos?: boolean } = {}) =>
    encodeOggPage({ serial, sequence: sequence++, granule, packets, flags });

  const header = (): Uint8Array[] => {
    if (headerSent) return [];
    headerSent = true;
    return [page([opusHead(sampleRateHz)], 0n, { bos: true }), page([opusTags()], 0n)];
  };

  /** Encodes every whole frame in `pending` into pages; the last page gets `finalGranule` and EOS when given. */
  const encodeFrames = (finalGranule?: bigint): Uint8Array => {
    const packets: Uint8Array[] = [];
    let offset = 0;
    for (; offset + frameSamples <= pending.length; offset += frameSamples) {
      const pcm = Buffer.from(encodeS16le(pending.subarray(offset, offset + frameSamples)));
      // opusscript hands back a view of its WebAssembly memory: copy before the next frame overwrites it.
      packets.push(Uint8Array.from(opus.encode(pcm, frameSamples)));
    }
    pending = pending.slice(offset);
    const out = header();
    const groups = pagePackets(packets);
    groups.forEach((group, i) => {
      framesEncoded += group.length;
      const last = i === groups.length - 1;
      const granule = BigInt(framesEncoded * frameSamples * granulePerSample);
      out.push(last && finalGranule !== undefined ? page(group, finalGranule, { eos: true }) : page(group, granule));
    });
    return concatBytes(out);
  };

  return {
    contentType: 'audio/ogg; codecs=opus',
    encode(samples) {
      samplesIn += samples.length;
      const joined = new Float32Array(pending.length + samples.length);
      joined.set(pending);
      joined.set(samples, pending.length);
      pending = joined;
      return encodeFrames();
    },
    finish() {
      // Pad with silence until the decoder, after skipping the look-ahead, has every input sample back.
      const needed = PRE_SKIP_48K + samplesIn * granulePerSample;
      const framesNeeded = Math.ceil(needed / (frameSamples * granulePerSample));
      const padded = new Float32Array(Math.max(frameSamples, (framesNeeded - framesEncoded) * frameSamples));
      padded.set(pending);
      pending = padded;
      const bytes = encodeFrames(BigInt(needed));
      opus.delete();
      return bytes;
    },
  };
}
