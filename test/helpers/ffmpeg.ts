// Debian's ffmpeg (installed by .ci/run) in the tests: decoding what the server encodes, and encoding clips for the
// decoders, so both sides are checked against files another tool wrote or read.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FRAME_SAMPLES, type EncodableFormat } from '../../src/audio/encode/create-speech-encoder.js';

const run = promisify(execFile);

/** LAME's encoder delay plus the decoder's: a streamed MP3 has no header telling decoders to drop them. */
const MP3_PRIMING_SAMPLES = 576 + 529;
/**
 * The AAC encoder's priming frame: FFmpeg's encoder starts one frame early, and ADTS (unlike MP4's edit list) cannot
 * tell decoders to drop it, so a streamed AAC file decodes 1024 samples longer, as OpenAI's own `aac` answers do.
 */
const AAC_PRIMING_SAMPLES = 1024;
/** What a streamed format decodes to beyond the input, which its container cannot signal. */
const PRIMING_SAMPLES: Partial<Record<EncodableFormat, number>> = { mp3: MP3_PRIMING_SAMPLES, aac: AAC_PRIMING_SAMPLES };

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

/** Asserts a decoded length is the expected one within one codec frame (plus the priming a streamed MP3 or AAC cannot signal). */
export function assertDuration(format: EncodableFormat, decodedSamples: number, expectedSamples: number): void {
  const frame = FRAME_SAMPLES[format];
  const extra = PRIMING_SAMPLES[format] ?? 0;
  assert.ok(
    decodedSamples >= expectedSamples - frame && decodedSamples <= expectedSamples + extra + frame,
    `${format}: decoded ${decodedSamples} samples, expected ${expectedSamples} (±${frame}${extra ? ` + ${extra} priming` : ''})`,
  );
}

/** Formats ffmpeg writes for the tests, by file extension and codec arguments. */
export const FFMPEG_FORMATS = {
  mp3: { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k'] },
  flac: { ext: 'flac', args: ['-c:a', 'flac'] },
  'ogg-vorbis': { ext: 'ogg', args: ['-c:a', 'libvorbis'] },
  'ogg-opus': { ext: 'opus', args: ['-c:a', 'libopus', '-b:a', '32k'] },
} as const;

/** Re-encodes WAV bytes into `format` (optionally at another rate and channel count) and returns the file's bytes. */
export async function encodeWithFfmpeg(
  wav: Uint8Array,
  format: keyof typeof FFMPEG_FORMATS,
  options: { rateHz?: number; channels?: number } = {},
): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'ffmpeg-clip-'));
  try {
    const { ext, args } = FFMPEG_FORMATS[format];
    await writeFile(join(dir, 'in.wav'), wav);
    const out = join(dir, `out.${ext}`);
    const layout = [...(options.rateHz ? ['-ar', String(options.rateHz)] : []), ...(options.channels ? ['-ac', String(options.channels)] : [])];
    await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(dir, 'in.wav'), ...layout, ...args, out]);
    return new Uint8Array(await readFile(out));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
