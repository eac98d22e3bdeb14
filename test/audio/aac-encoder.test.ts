import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createAacEncoder } from '../../src/audio/encode/aac-encoder.js';
import type { SpeechEncoder } from '../../src/audio/encode/speech-encoder.js';
import { readAdtsHeader, splitAdtsFrames } from '../helpers/adts.js';
import { decodeAudio, requireFfmpeg } from '../helpers/ffmpeg.js';

const RATE_HZ = 24_000;
const FRAME = 1024;
/** FFmpeg's AAC encoder emits one frame of priming before the first frame of input (its initial_padding). */
const PRIMING_FRAMES = 1;

/** A 220 Hz tone over a slow second partial: distinct enough sample by sample to line decoded audio up with it. */
function tone(samples: number, phase = 0): Float32Array {
  return Float32Array.from({ length: samples }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * i) / RATE_HZ + phase) + 0.1 * Math.sin(i * 0.013));
}

/** Feeds `input` in `chunk`-sample pieces, returning what each call produced; the last entry is finish()'s. */
function encodeInChunks(encoder: SpeechEncoder, input: Float32Array, chunk: number): Uint8Array[] {
  const outputs: Uint8Array[] = [];
  for (let offset = 0; offset < input.length; offset += chunk) outputs.push(encoder.encode(input.subarray(offset, offset + chunk)));
  outputs.push(encoder.finish());
  return outputs;
}

before(() => requireFfmpeg());

describe('the AAC encoder (FFmpeg aac in libav.js, ADTS framing)', () => {
  for (const samples of [1, FRAME - 1, FRAME, 3 * FRAME, 29_628]) {
    it(`${samples} samples: every input frame, plus the priming frame, comes out as AAC-LC mono 24 kHz ADTS`, async () => {
      const bytes = Buffer.concat(encodeInChunks(await createAacEncoder(RATE_HZ), tone(samples), 333));
      const frames = splitAdtsFrames(bytes);
      // The short last frame and the frame the encoder still held at the end are both drained by finish().
      assert.equal(frames.length, Math.ceil(samples / FRAME) + PRIMING_FRAMES);
      for (const frame of frames) {
        const header = readAdtsHeader(frame);
        assert.deepEqual([header.profile, header.sampleRateIndex, header.channelConfiguration], [1, 6, 1]);
      }
      const decoded = decodeAudio(bytes);
      assert.deepEqual([decoded.formatName, decoded.codecName, decoded.channels], ['aac', 'aac', 1]);
      assert.equal(decoded.samples24k, frames.length * FRAME);
    });
  }

  it('decodes back to the input, delayed by the priming frame', async () => {
    const input = tone(RATE_HZ);
    const decoded = decodeAudio(Buffer.concat(encodeInChunks(await createAacEncoder(RATE_HZ), input, 960)));
    const pcm = new Int16Array(decoded.pcm.buffer, decoded.pcm.byteOffset, decoded.pcm.byteLength / 2);
    let error = 0;
    let signal = 0;
    for (let i = 0; i < input.length; i++) {
      error += (pcm[PRIMING_FRAMES * FRAME + i]! / 32768 - input[i]!) ** 2;
      signal += input[i]! ** 2;
    }
    const snrDb = 10 * Math.log10(signal / error);
    assert.ok(snrDb > 15, `signal-to-noise ${snrDb.toFixed(1)} dB`);
  });

  it('streams: a frame leaves as soon as the encoder has the next one, long before finish()', async () => {
    const outputs = encodeInChunks(await createAacEncoder(RATE_HZ), tone(10 * FRAME), FRAME);
    // Call 1 fills the encoder's one-frame look-ahead; from call 2 on, each whole frame in gives one ADTS frame out
    // (the priming frame first); finish() drains the frame still held and the last one.
    assert.equal(outputs[0]!.byteLength, 0);
    for (const output of outputs.slice(1, -1)) assert.equal(splitAdtsFrames(output).length, 1);
    assert.equal(splitAdtsFrames(outputs.at(-1)!).length, 2);
  });

  it('how the input is chunked does not change a byte: the remainder waits for the next chunk', async () => {
    const input = tone(20_000);
    const whole = Buffer.concat(encodeInChunks(await createAacEncoder(RATE_HZ), input, input.length));
    for (const chunk of [1, 333, FRAME, 2400]) {
      assert.ok(whole.equals(Buffer.concat(encodeInChunks(await createAacEncoder(RATE_HZ), input, chunk))), `chunks of ${chunk}`);
    }
  });

  it('concurrent encoders on the shared libav.js instance never mix frames', async () => {
    const [a, b] = [tone(12_000), tone(12_000, Math.PI / 3)];
    const alone = async (input: Float32Array) => Buffer.concat(encodeInChunks(await createAacEncoder(RATE_HZ), input, 480));
    const [encoderA, encoderB] = await Promise.all([createAacEncoder(RATE_HZ), createAacEncoder(RATE_HZ)]);
    const partsA: Uint8Array[] = [];
    const partsB: Uint8Array[] = [];
    for (let offset = 0; offset < a.length; offset += 480) {
      partsA.push(encoderA.encode(a.subarray(offset, offset + 480)));
      partsB.push(encoderB.encode(b.subarray(offset, offset + 480)));
    }
    partsB.push(encoderB.finish());
    partsA.push(encoderA.finish());
    assert.ok(Buffer.concat(partsA).equals(await alone(a)));
    assert.ok(Buffer.concat(partsB).equals(await alone(b)));
  });

  it('finish() frees the encoder once: a second finish() is empty and encode() afterwards throws', async () => {
    const encoder = await createAacEncoder(RATE_HZ);
    encoder.encode(tone(3 * FRAME));
    assert.ok(encoder.finish().byteLength > 0);
    assert.equal(encoder.finish().byteLength, 0);
    assert.throws(() => encoder.encode(tone(2 * FRAME)), /already finished/);
  });
});
