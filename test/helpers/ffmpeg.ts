import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_SAMPLES, type EncodableFormat } from '../../src/audio/encode/create-speech-encoder.js';

/** LAME's encoder delay plus the decoder's: a streamed MP3 has no header telling decoders to drop them. */
const MP3_PRIMING_SAMPLES = 576 + 529;

/** Throws a clear error when Debian's ffmpeg (ffmpeg and ffprobe) is not installed: these tests never skip silently. */
export function requireFfmpeg(): void {
  for (const tool of ['ffprobe', 'ffmpeg']) {
    if (spawnSync(tool, ['-version'], { stdio: 'ignore' }).status !== 0) {
      throw new Error(`${tool} is missing: install Debian's ffmpeg package (apt-get install ffmpeg; .ci/run does)`);
    }
  }
}

/** What ffprobe reads from an encoded file, and how many samples ffmpeg decodes from it at 24 kHz mono. */
export interface DecodedAudio {
  formatName: string;
  codecName: string;
  channels: number;
  /** Samples decoded, resampled to 24 kHz if the stream has another rate (Opus decodes at 48 kHz). */
  samples24k: number;
  /** The decoded samples, 24 kHz s16le. */
  pcm: Buffer;
}

/** Probes and decodes `bytes`; `rawPcm` says they are headerless 24 kHz s16le. Throws with ffmpeg's words when it cannot. */
export function decodeAudio(bytes: Uint8Array, options: { rawPcm?: boolean } = {}): DecodedAudio {
  const dir = mkdtempSync(join(tmpdir(), 'decode-'));
  try {
    const file = join(dir, 'audio');
    writeFileSync(file, bytes);
    const input = options.rawPcm ? ['-f', 's16le', '-ar', '24000', '-ac', '1', '-i', file] : ['-i', file];
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,channels:format=format_name', '-of', 'json', ...input.slice(0, -2), file], {
        encoding: 'utf8',
      }),
    ) as { streams: { codec_name: string; channels: number }[]; format: { format_name: string } };
    const pcm = execFileSync('ffmpeg', ['-v', 'error', ...input, '-f', 's16le', '-ac', '1', '-ar', '24000', '-'], { maxBuffer: 1 << 28 });
    const stream = probe.streams[0];
    if (!stream) throw new Error('ffprobe found no audio stream');
    return { formatName: probe.format.format_name, codecName: stream.codec_name, channels: stream.channels, samples24k: pcm.byteLength / 2, pcm };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Asserts a decoded length is the expected one within one codec frame (plus the priming a streamed MP3 cannot signal). */
export function assertDuration(format: EncodableFormat, decodedSamples: number, expectedSamples: number): void {
  const frame = FRAME_SAMPLES[format];
  const extra = format === 'mp3' ? MP3_PRIMING_SAMPLES : 0;
  assert.ok(
    decodedSamples >= expectedSamples - frame && decodedSamples <= expectedSamples + extra + frame,
    `${format}: decoded ${decodedSamples} samples, expected ${expectedSamples} (±${frame}${extra ? ` + ${extra} priming` : ''})`,
  );
}
