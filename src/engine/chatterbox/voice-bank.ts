import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type ort from 'onnxruntime-node';
import { resample } from '../../audio/resample.js';
import { decodeWav } from '../../audio/wav.js';
import { TtsError } from '../../protocol/errors.js';
import { floatTensor } from '../onnx/tensors.js';

/** The model's sample rate for reference audio in and speech out (Hz). */
export const MODEL_SAMPLE_RATE_HZ = 24_000;

/** The speech encoder's four outputs for one voice: all the generation loop needs of it. */
export interface VoiceConditioning {
  audioFeatures: ort.Tensor;
  audioTokens: ort.Tensor;
  speakerEmbeddings: ort.Tensor;
  speakerFeatures: ort.Tensor;
}

/** Named reference voices, each encoded once per worker on first use. */
export interface VoiceBank {
  readonly names: string[];
  readonly defaultVoice: string;
  get(name: string): Promise<VoiceConditioning>;
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

/** Creates the bank over the speech_encoder session; throws TtsError ENGINE_FAILED when there is no voice at all. */
export function createVoiceBank(encoder: ort.InferenceSession, voiceFiles: Map<string, string>): VoiceBank {
  if (voiceFiles.size === 0) throw new TtsError('ENGINE_FAILED', 'no reference voice: this model needs default_voice.wav or WAV files in the voices directory');
  const encoded = new Map<string, Promise<VoiceConditioning>>();
  const inputType = encoder.inputMetadata.find((m) => m.name === 'audio_values');
  const audioType = inputType?.isTensor ? inputType.type : 'float32';

  const encode = async (path: string): Promise<VoiceConditioning> => {
    let samples: Float32Array;
    try {
      samples = readReferenceAudio(path);
    } catch (err) {
      throw new TtsError('ENGINE_FAILED', `cannot read voice ${basename(path)}: ${(err as Error).message}`);
    }
    const out = await encoder.run({ audio_values: floatTensor(samples, [1, samples.length], audioType) });
    return {
      audioFeatures: out.audio_features!,
      audioTokens: out.audio_tokens!,
      speakerEmbeddings: out.speaker_embeddings!,
      speakerFeatures: out.speaker_features!,
    };
  };

  const names = [...voiceFiles.keys()];
  return {
    names,
    defaultVoice: voiceFiles.has('default') ? 'default' : names[0]!,
    get(name) {
      const path = voiceFiles.get(name);
      if (!path) return Promise.reject(new TtsError('UNKNOWN_VOICE', `unknown voice '${name}'`));
      let pending = encoded.get(name);
      if (!pending) {
        pending = encode(path);
        // A voice that failed to encode is tried again next time rather than failing forever.
        pending.catch(() => encoded.delete(name));
        encoded.set(name, pending);
      }
      return pending;
    },
  };
}
