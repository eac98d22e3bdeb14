import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isVoiceName, voiceFileName } from '../../engine/voice-name.js';
import { TtsError } from '../../protocol/errors.js';
import type { SynthesisParams } from '../../protocol/messages.js';
import { CLIP_SAMPLE_RATE_HZ, type ReferenceClip } from './reference-clip.js';
import { encodeVoiceFile, readVoiceFile, type VoiceFileFacts } from './voice-file.js';

/** What the library says about one voice. */
export interface VoiceRecord {
  name: string;
  durationSec: number;
  sampleRateHz: number;
  /** Defaults a request with this voice gets for the parameters it leaves out. */
  params: SynthesisParams;
  /** When the voice was stored (ISO 8601). */
  createdAt: string;
}

/**
 * The voices directory as a library: `<name>.wav` files, each written whole (temp file, then a hard link that fails
 * when the name exists, so two uploads of one name cannot both win) and read fresh on every call, so that
 * uploads by another worker sharing the directory show at once.
 */
export interface VoiceStore {
  readonly dir: string;
  /** Names of the stored voices, sorted. */
  names(): string[];
  describe(name: string): VoiceRecord | undefined;
  /** The stored default parameters of a voice, or undefined when it is not in the library. */
  paramsOf(name: string): SynthesisParams | undefined;
  /** The voice's WAV file, or undefined. */
  readAudio(name: string): Uint8Array | undefined;
  /** Stores a clip; throws TtsError BAD_VOICE_NAME or VOICE_EXISTS (also for `reserved` names). */
  add(name: string, clip: ReferenceClip, params: SynthesisParams, reserved: readonly string[]): Promise<VoiceRecord>;
  /** Deletes a voice; false when there was none of that name. Throws BAD_VOICE_NAME. */
  remove(name: string): Promise<boolean>;
}

function checkName(name: string): void {
  if (!isVoiceName(name)) {
    throw new TtsError('BAD_VOICE_NAME', "a voice name is 1-64 letters, digits, '-' or '_', starting with a letter or digit");
  }
}

/** Opens (and creates) the voices directory. */
export function createVoiceStore(dir: string): VoiceStore {
  mkdirSync(dir, { recursive: true });
  const pathOf = (name: string) => join(dir, voiceFileName(name));
  // Parsed facts by name, valid while the file's identity (inode, size, mtime) is unchanged.
  const factsCache = new Map<string, { key: string; facts: VoiceFileFacts }>();
  const statOf = (name: string): Stats | undefined => {
    if (!isVoiceName(name)) return undefined;
    try {
      const stats = statSync(pathOf(name));
      return stats.isFile() ? stats : undefined;
    } catch {
      return undefined;
    }
  };

  const factsOf = (name: string): { facts: VoiceFileFacts; stats: Stats } | undefined => {
    const stats = statOf(name);
    if (!stats) return undefined;
    const key = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    const cached = factsCache.get(name);
    if (cached?.key === key) return { facts: cached.facts, stats };
    const bytes = store.readAudio(name);
    if (!bytes) return undefined;
    const facts = readVoiceFile(bytes);
    factsCache.set(name, { key, facts });
    return { facts, stats };
  };

  const store: VoiceStore = {
    dir,
    names() {
      let files: string[];
      try {
        files = readdirSync(dir);
      } catch (err) {
        // The directory was removed under the running worker: it holds no voices (every /health and session start
        // lists them, so a throw here would fail those, not just the voice routes).
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      return files
        .filter((file) => file.endsWith('.wav') && isVoiceName(file.slice(0, -4)))
        .map((file) => file.slice(0, -4))
        .sort();
    },
    paramsOf(name) {
      return factsOf(name)?.facts.params;
    },
    describe(name) {
      const found = factsOf(name);
      if (!found) return undefined;
      return {
        name,
        durationSec: Math.round((found.facts.dataBytes / 2 / CLIP_SAMPLE_RATE_HZ) * 100) / 100,
        sampleRateHz: CLIP_SAMPLE_RATE_HZ,
        params: found.facts.params,
        createdAt: found.stats.mtime.toISOString(),
      };
    },
    readAudio(name) {
      if (!statOf(name)) return undefined;
      try {
        return readFileSync(pathOf(name));
      } catch {
        return undefined;
      }
    },
    async add(name, clip, params, reserved) {
      checkName(name);
      if (reserved.includes(name) || existsSync(pathOf(name))) throw new TtsError('VOICE_EXISTS', `a voice named '${name}' exists; delete it first`);
      const temp = join(dir, `.upload-${randomBytes(8).toString('hex')}.tmp`);
      const file = await open(temp, 'wx');
      try {
        await file.writeFile(encodeVoiceFile(clip.samples, CLIP_SAMPLE_RATE_HZ, params));
        await file.sync();
        await file.close();
        await link(temp, pathOf(name));
      } catch (err) {
        await file.close().catch(() => undefined);
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TtsError('VOICE_EXISTS', `a voice named '${name}' exists; delete it first`);
        throw err;
      } finally {
        await unlink(temp).catch(() => undefined);
      }
      return store.describe(name)!;
    },
    async remove(name) {
      checkName(name);
      factsCache.delete(name);
      try {
        await unlink(pathOf(name));
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
    },
  };
  return store;
}
