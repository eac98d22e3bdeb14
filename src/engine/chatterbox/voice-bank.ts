import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type ort from 'onnxruntime-node';
import { resample } from '../../audio/resample.js';
import { decodeWav } from '../../audio/wav.js';
import { TtsError } from '../../protocol/errors.js';
import { floatTensor } from '../onnx/tensors.js';
import { isVoiceName, voiceFileName } from '../voice-name.js';

/** The model's sample rate for reference audio in and speech out (Hz). */
export const MODEL_SAMPLE_RATE_HZ = 24_000;

/** The speech encoder's four outputs for one voice: all the generation loop needs of it. */
export interface VoiceConditioning {
  audioFeatures: ort.Tensor;
  audioTokens: ort.Tensor;
  speakerEmbeddings: ort.Tensor;
  speakerFeatures: ort.Tensor;
}

/**
 * Named reference voices, each encoded once per worker on first use. Voices added to the voices directory after
 * start are found on first use too; a voice whose file changed or went away is encoded again or refused.
 */
export interface VoiceBank {
  /** The voices found at start. */
  readonly names: string[];
  readonly defaultVoice: string;
  get(name: string): Promise<VoiceConditioning>;
  /** Encodes a clip that is not stored (mono samples at 24 kHz), for one request. */
  encodeClip(samples: Float32Array): Promise<VoiceConditioning>;
  /** Drops a voice's cached encoder outputs (it was deleted); requests that hold them finish with them. */
  forget(name: string): void;
}

/** Voice name → WAV path: `default` for the model's default_voice.wav, plus every *.wav in `voicesDir` by file stem. */
export function listVoiceFiles(defaultVoicePath: string | undefined, voicesDir: string | undefined): Map<string, string> {
  const voices = new Map<string, string>();
  if (defaultVoicePath) voices.set('default', defaultVoicePath);
  if (voicesDir && existsSync(voicesDir)) {
    for (const file of readdirSync(voicesDir).sort()) {
      if (extname(file).toLowerCase() === '.wav') voices.set(basename(file, extname(file)), join(voicesDir, file));
    }
  }
  return voices;
}

/** Reads a reference WAV (16/24/32-bit PCM or float, mono or stereo, any rate) as mono 24 kHz samples. */
export function readReferenceAudio(path: string): Float32Array {
  const wav = decodeWav(readFileSync(path));
  return resample(wav.samples, wav.sampleRateHz, MODEL_SAMPLE_RATE_HZ);
}

/** A file's identity: a voice re-uploaded under the same name (new inode, size or time) is encoded again. */
function fileKey(path: string): string | undefined {
  try {
    const stats = statSync(path);
    return stats.isFile() ? `${stats.ino}:${stats.size}:${stats.mtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the bank over the speech_encoder session; `voicesDir` is searched for voices not known at start.
 * Throws TtsError ENGINE_FAILED when there is no voice at all.
 */
export function createVoiceBank(encoder: ort.InferenceSession, voiceFiles: Map<string, string>, voicesDir?: string): VoiceBank {
  if (voiceFiles.size === 0) throw new TtsError('ENGINE_FAILED', 'no reference voice: this model needs default_voice.wav or WAV files in the voices directory');
  const encoded = new Map<string, { key: string; pending: Promise<VoiceConditioning> }>();
  const inputType = encoder.inputMetadata.find((m) => m.name === 'audio_values');
  const audioType = inputType?.isTensor ? inputType.type : 'float32';

  const encodeClip = async (samples: Float32Array): Promise<VoiceConditioning> => {
    const out = await encoder.run({ audio_values: floatTensor(samples, [1, samples.length], audioType) });
    return {
      audioFeatures: out.audio_features!,
      audioTokens: out.audio_tokens!,
      speakerEmbeddings: out.speaker_embeddings!,
      speakerFeatures: out.speaker_features!,
    };
  };
  const encode = async (path: string): Promise<VoiceConditioning> => {
    let samples: Float32Array;
    try {
      samples = readReferenceAudio(path);
    } catch (err) {
      throw new TtsError('ENGINE_FAILED', `cannot read voice ${basename(path)}: ${(err as Error).message}`);
    }
    return encodeClip(samples);
  };
  const pathOf = (name: string): string | undefined => {
    // A file in the directory wins over one listed at start: the library may have replaced it since.
    if (voicesDir && isVoiceName(name)) {
      const path = join(voicesDir, voiceFileName(name));
      if (existsSync(path)) return path;
    }
    const listed = voiceFiles.get(name);
    // A library voice listed at start and gone from the directory now was deleted; files copied in by hand under
    // names outside the library's charset are not the library's and keep their start-up path.
    const deletedFromLibrary = voicesDir !== undefined && isVoiceName(name) && listed === join(voicesDir, basename(listed ?? ''));
    return deletedFromLibrary ? undefined : listed;
  };

  const names = [...voiceFiles.keys()];
  return {
    names,
    defaultVoice: voiceFiles.has('default') ? 'default' : names[0]!,
    get(name) {
      const path = pathOf(name);
      const key = path === undefined ? undefined : fileKey(path);
      if (!path || !key) {
        encoded.delete(name);
        return Promise.reject(new TtsError('UNKNOWN_VOICE', `unknown voice '${name.slice(0, 64)}'`));
      }
      const cached = encoded.get(name);
      if (cached?.key === key) return cached.pending;
      const pending = encode(path);
      const entry = { key, pending };
      // A voice that failed to encode is tried again next time rather than failing forever.
      pending.catch(() => encoded.get(name) === entry && encoded.delete(name));
      encoded.set(name, entry);
      return pending;
    },
    encodeClip,
    forget(name) {
      encoded.delete(name);
    },
  };
}
