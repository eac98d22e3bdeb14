// Encodes test clips with Debian's ffmpeg (installed by .ci/run), so decoders are tested on files other tools wrote.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

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
