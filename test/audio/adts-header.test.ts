import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ADTS_HEADER_BYTES, encodeAdtsHeader } from '../../src/audio/encode/adts-header.js';
import { readAdtsHeader, splitAdtsFrames } from '../helpers/adts.js';
import { requireFfmpeg } from '../helpers/ffmpeg.js';

describe('encodeAdtsHeader', () => {
  const cases = [
    { payloadBytes: 0, sampleRateHz: 24_000, channels: 1, sampleRateIndex: 6 },
    { payloadBytes: 371, sampleRateHz: 16_000, channels: 1, sampleRateIndex: 8 },
    { payloadBytes: 2047, sampleRateHz: 48_000, channels: 2, sampleRateIndex: 3 },
    // Seven channels set the bit that crosses into the next byte; the longest frame fills all 13 length bits.
    { payloadBytes: 0x1fff - ADTS_HEADER_BYTES, sampleRateHz: 7350, channels: 7, sampleRateIndex: 12 },
  ];
  for (const { payloadBytes, sampleRateHz, channels, sampleRateIndex } of cases) {
    it(`AAC-LC, ${sampleRateHz} Hz, ${channels} channel(s), ${payloadBytes} payload bytes`, () => {
      const header = encodeAdtsHeader(payloadBytes, { sampleRateHz, channels });
      assert.equal(header.byteLength, ADTS_HEADER_BYTES);
      assert.deepEqual(readAdtsHeader(header), {
        syncword: 0xfff,
        mpegVersionId: 0,
        layer: 0,
        protectionAbsent: 1,
        profile: 1,
        sampleRateIndex,
        channelConfiguration: channels,
        frameLength: payloadBytes + ADTS_HEADER_BYTES,
        bufferFullness: 0x7ff,
        rawDataBlocks: 0,
      });
    });
  }

  const refusals: [string, number, { sampleRateHz: number; channels: number }][] = [
    ['a rate with no ADTS index', 100, { sampleRateHz: 22_000, channels: 1 }],
    ['no channels', 100, { sampleRateHz: 24_000, channels: 0 }],
    ['eight channels', 100, { sampleRateHz: 24_000, channels: 8 }],
    ['a frame one byte past the 13-bit length', 0x1fff - ADTS_HEADER_BYTES + 1, { sampleRateHz: 24_000, channels: 1 }],
    ['a negative payload', -1, { sampleRateHz: 24_000, channels: 1 }],
    ['a fractional payload', 1.5, { sampleRateHz: 24_000, channels: 1 }],
  ];
  for (const [name, payloadBytes, info] of refusals) {
    it(`refuses ${name} with a RangeError`, () => assert.throws(() => encodeAdtsHeader(payloadBytes, info), RangeError));
  }

  it("writes, byte for byte, the headers FFmpeg's ADTS muxer writes for the same frames", () => {
    requireFfmpeg();
    const adts = execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=220:duration=1'],
      ...['-ar', '24000', '-ac', '1', '-c:a', 'aac', '-b:a', '64k', '-f', 'adts', '-'],
    ]);
    const frames = splitAdtsFrames(adts);
    assert.ok(frames.length > 20, `${frames.length} frames`);
    for (const frame of frames) {
      assert.deepEqual(encodeAdtsHeader(frame.byteLength - ADTS_HEADER_BYTES, { sampleRateHz: 24_000, channels: 1 }), Uint8Array.from(frame.subarray(0, 7)));
    }
  });
});
