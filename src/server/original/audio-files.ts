import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Names of the files this store writes: nothing else in the directory is ever served or deleted. */
const AUDIO_FILE = /^tts-[0-9a-f]{32}\.wav$/;

/** Finished WAV files of the original API's `/synthesize`, served by name until they expire. */
export interface AudioFiles {
  readonly dir: string;
  /** Writes a WAV (temp file, then rename) and returns its file name. */
  save(wav: Uint8Array): Promise<string>;
  /** A file's bytes, or undefined when the name is not ours, absent, or expired. */
  read(name: string): Uint8Array | undefined;
  /** Deletes every expired file now; returns how many. */
  sweep(): number;
  /** Stops the expiry timer. */
  close(): void;
}

/** True for a name `AudioFiles.save` could have returned. */
export function isAudioFileName(name: string): boolean {
  return AUDIO_FILE.test(name);
}

/** Opens (and creates) the directory; a timer deletes files older than `ttlSec` (checked every ttl/2, at most every minute). */
export function createAudioFiles(options: { dir: string; ttlSec: number }): AudioFiles {
  const { dir, ttlSec } = options;
  mkdirSync(dir, { recursive: true });
  const expired = (mtimeMs: number) => Date.now() - mtimeMs > ttlSec * 1000;
  const files: AudioFiles = {
    dir,
    async save(wav) {
      const name = `tts-${randomBytes(16).toString('hex')}.wav`;
      const temp = join(dir, `.${name}.tmp`);
      await writeFile(temp, wav, { flag: 'wx' });
      await rename(temp, join(dir, name));
      return name;
    },
    read(name) {
      if (!isAudioFileName(name)) return undefined;
      try {
        const path = join(dir, name);
        if (expired(statSync(path).mtimeMs)) return undefined;
        return readFileSync(path);
      } catch {
        return undefined;
      }
    },
    sweep() {
      let deleted = 0;
      for (const name of readdirSync(dir)) {
        if (!isAudioFileName(name)) continue;
        try {
          const path = join(dir, name);
          if (expired(statSync(path).mtimeMs)) {
            unlinkSync(path);
            deleted += 1;
          }
        } catch {
          // Another worker sharing the directory deleted it first.
        }
      }
      return deleted;
    },
    close() {
      clearInterval(timer);
    },
  };
  const timer = setInterval(() => files.sweep(), Math.min(ttlSec * 500, 60_000));
  timer.unref();
  return files;
}
