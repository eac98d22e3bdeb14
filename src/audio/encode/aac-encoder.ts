import type { Frame } from '@libav.js/variant-mediarecorder-transcoder';
import { encodeAdtsHeader, type AdtsStreamInfo } from './adts-header.js';
import { discardSharedLibav, sharedLibav } from './libav-instance.js';
import { concatBytes, type SpeechEncoder } from './speech-encoder.js';

/** Target bit rate, in bit/s: as for MP3, clear speech at 24 kHz mono. */
const AAC_BITRATE_BPS = 64_000;
/** FFmpeg's channel-layout mask for mono (AV_CH_FRONT_CENTER). */
const MONO_CHANNEL_LAYOUT = 0x4;

/**
 * AAC-LC in ADTS frames, from FFmpeg's native `aac` encoder compiled to WebAssembly (libav.js, LGPL-2.1). Each call
 * encodes the whole 1024-sample frames it completes and keeps the rest for the next; the encoder answers one frame
 * late and starts with 1024 samples of priming, which ADTS cannot tell decoders to drop. Rejects when libav.js
 * cannot be loaded.
 */
export async function createAacEncoder(sampleRateHz: 24000 | 16000): Promise<SpeechEncoder> {
  const libav = await sharedLibav();
  const [, context, frame, packet, frameSamples] = libav.ff_init_encoder_sync('aac', {
    ctx: { bit_rate: AAC_BITRATE_BPS, sample_fmt: libav.AV_SAMPLE_FMT_FLTP, sample_rate: sampleRateHz, channel_layout: MONO_CHANNEL_LAYOUT, channels: 1 },
    time_base: [1, sampleRateHz],
  });
  const stream: AdtsStreamInfo = { sampleRateHz, channels: 1 };
  let pending = new Float32Array(0);
  let pts = 0;
  let open = true;

  const close = () => {
    if (!open) return;
    open = false;
    libav.ff_free_encoder_sync(context, frame, packet);
  };

  const frameOf = (samples: Float32Array): Frame => {
    const next: Frame = {
      data: [samples],
      format: libav.AV_SAMPLE_FMT_FLTP,
      channel_layout: MONO_CHANNEL_LAYOUT,
      sample_rate: sampleRateHz,
      nb_samples: samples.length,
      pts,
    };
    pts += samples.length;
    return next;
  };

  /** Feeds `frames` to the codec (draining it when `last`) and frames each packet it returns in ADTS. */
  const encodeFrames = (frames: Frame[], last: boolean): Uint8Array => {
    if (!open) throw new Error('the AAC encoder is already finished');
    try {
      const packets = libav.ff_encode_multi_sync(context, frame, packet, frames, last);
      return concatBytes(packets.flatMap((p) => [encodeAdtsHeader(p.data.byteLength, stream), p.data]));
    } catch (err) {
      close();
      discardSharedLibav(libav);
      throw err;
    }
  };

  return {
    contentType: 'audio/aac',
    encode(samples) {
      const joined = new Float32Array(pending.length + samples.length);
      joined.set(pending);
      joined.set(samples, pending.length);
      const whole = joined.length - (joined.length % frameSamples);
      pending = joined.slice(whole);
      if (whole === 0) return new Uint8Array(0);
      const frames: Frame[] = [];
      for (let offset = 0; offset < whole; offset += frameSamples) frames.push(frameOf(joined.subarray(offset, offset + frameSamples)));
      return encodeFrames(frames, false);
    },
    finish() {
      if (!open) return new Uint8Array(0);
      // FFmpeg's AAC encoder takes a short last frame and pads it itself; draining returns the frames it still holds.
      const last = pending.length > 0 ? [frameOf(pending)] : [];
      pending = new Float32Array(0);
      try {
        return encodeFrames(last, true);
      } finally {
        close();
      }
    },
  };
}
