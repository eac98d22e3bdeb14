// The Chatterbox pieces below the engine, on a tiny generated model: the loaded model, its voices, the generation
// loop with the engine's defaults, and one whole decode of a token list.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadChatterboxModel, type ChatterboxModel } from '../../src/engine/chatterbox/chatterbox-model.js';
import { generateSpeechTokens, type GenerationRequest } from '../../src/engine/chatterbox/generate-tokens.js';
import { normalizeText } from '../../src/engine/chatterbox/normalize-text.js';
import { chatterboxParamInfo, toSamplerParams } from '../../src/engine/chatterbox/sampler-params.js';
import { createVoiceBank, listVoiceFiles, type VoiceBank, type VoiceConditioning } from '../../src/engine/chatterbox/voice-bank.js';
import { floatData, int64Data, int64Tensor } from '../../src/engine/onnx/tensors.js';
import { createDefaultVoice, encodeWav16 } from '../../src/model-gen/default-voice.js';
import type { SynthesisParams } from '../../src/protocol/messages.js';
import { ensureTinyModel, type TinyModelOptions } from './tiny-model.js';

/** A tiny model loaded on CPU with its voice bank (default voice, plus `voicesDir`). */
export interface TinyChatterbox {
  dir: string;
  model: ChatterboxModel;
  voices: VoiceBank;
  /** The default voice, encoded. */
  voice: VoiceConditioning;
}

/** Loads a tiny model (generated on first use) as the engine does. Release with `model.release()`. */
export async function loadTinyChatterbox(
  options: TinyModelOptions = {},
  voicesDir?: string,
  loop: { decode?: 'step' | 'fused'; fusedCacheDir?: string } = {},
): Promise<TinyChatterbox> {
  const dir = await ensureTinyModel(options);
  const model = await loadChatterboxModel(dir, { dtype: options.dtype ?? 'fp32', device: 'cpu', gpu: 0, ...loop });
  const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, voicesDir));
  return { dir, model, voices, voice: await voices.get(voices.defaultVoice) };
}

/**
 * The generation request the engine builds for one sentence: the model's parameter defaults, then `params`
 * (API names; `seed` must be non-zero here, since 0 means random).
 */
export function generationFor(tiny: TinyChatterbox, text: string, params: SynthesisParams & { seed: number }, voice = tiny.voice): GenerationRequest {
  const p: SynthesisParams = {};
  for (const [name, info] of Object.entries(chatterboxParamInfo(tiny.model.variant, tiny.model.generationDefaults))) p[name] = info.default;
  Object.assign(p, params);
  return {
    text: tiny.model.tokenizer.encode(normalizeText(text)),
    voice,
    exaggeration: p.exaggeration ?? 0.5,
    cfgWeight: p.cfg_weight ?? 0,
    sampler: toSamplerParams(p),
    seed: params.seed,
    maxNewTokens: p.max_new_tokens ?? 1000,
  };
}

/** Every token of one generation run. */
export async function tokensOf(tiny: TinyChatterbox, request: GenerationRequest, signal = new AbortController().signal): Promise<number[]> {
  const tokens: number[] = [];
  for await (const token of generateSpeechTokens(tiny.model, request, signal)) tokens.push(token);
  return tokens;
}

/**
 * `tiny` whose language model counts its runs: the real session behind a proxy, so a test can see how many steps
 * the loop took, including those whose tokens are never yielded.
 */
export function countingLanguageModel(tiny: TinyChatterbox): { tiny: TinyChatterbox; runs: () => number } {
  const session = tiny.model.sessions.language_model;
  if (!session) throw new Error('countingLanguageModel needs the step loop (no language_model session with the fused graph)');
  let runs = 0;
  const counted = new Proxy(session, {
    get(target, property) {
      if (property === 'run') {
        return (...args: Parameters<typeof session.run>) => {
          runs += 1;
          return target.run(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const model = { ...tiny.model, sessions: { ...tiny.model.sessions, language_model: counted } };
  return { tiny: { ...tiny, model }, runs: () => runs };
}

/** conditional_decoder run once on the voice's prompt tokens plus all of `tokens`: the audio of `tokens`. */
export async function decodeWhole(tiny: TinyChatterbox, tokens: readonly number[], voice = tiny.voice): Promise<Float32Array> {
  const ids = [...int64Data(voice.audioTokens), ...tokens];
  const out = await tiny.model.sessions.conditional_decoder.run({
    speech_tokens: int64Tensor(ids, [1, ids.length]),
    speaker_embeddings: voice.speakerEmbeddings,
    speaker_features: voice.speakerFeatures,
  });
  return floatData(out.waveform!);
}

/** Largest absolute difference between two equally long arrays, and where. */
export function maxDifference(a: Float32Array, b: Float32Array): { value: number; at: number } {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let value = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > value) {
      value = d;
      at = i;
    }
  }
  return { value, at };
}

/**
 * A tiny model with the given generation loop, the fused graph cached in `cacheDir`, and a 'narrator' voice written
 * there too (Turbo ships no default voice).
 */
export async function loadTinyWithLoop(options: TinyModelOptions, decode: 'step' | 'fused', cacheDir: string): Promise<TinyChatterbox> {
  const voicesDir = join(cacheDir, 'voices');
  await mkdir(voicesDir, { recursive: true });
  await writeFile(join(voicesDir, 'narrator.wav'), encodeWav16(createDefaultVoice(3)));
  return loadTinyChatterbox(options, voicesDir, { decode, fusedCacheDir: cacheDir });
}
