import { readFileSync } from 'node:fs';
import type ort from 'onnxruntime-node';
import { TtsError } from '../../protocol/errors.js';
import type { DeviceChoice } from '../onnx/execution-provider.js';
import { findModelFiles, type GraphName, type ModelDtype, type ModelFiles } from '../onnx/model-files.js';
import { loadSessions, releaseAll } from '../onnx/load-sessions.js';
import { checkSignatures, lastDim, tensorType, type GraphSignature } from '../onnx/signature.js';
import { parseGenerationConfig, type ChatterboxVariant, type GenerationDefaults } from './sampler-params.js';
import { loadTextTokenizer, type TextTokenizer } from './text-tokenizer.js';

/** Logits width of each language-model family. */
const LOGITS_WIDTH = { english: 8194, turbo: 6563 } as const;

/** A loaded, checked Chatterbox model: sessions plus what the generation loop must know about its graphs. */
export interface ChatterboxModel {
  dir: string;
  variant: ChatterboxVariant;
  files: ModelFiles;
  sessions: Record<GraphName, ort.InferenceSession>;
  tokenizer: TextTokenizer;
  device: string;
  provider: string;
  deviceReason: string;
  lm: { layers: number; kvHeads: number; headDim: number; hidden: number; vocab: number; cacheType: string; embedsType: string; hasPositionIds: boolean };
  embed: { hasPositionIds: boolean; hasExaggeration: boolean };
  generationDefaults: Partial<GenerationDefaults>;
  /** generation_config.json fields that were ignored, with why. */
  ignoredConfig: Array<{ field: string; reason: string }>;
  release(): Promise<void>;
}

/** Input and output metadata of every loaded graph (for `check-model` and errors). */
export function signaturesOf(sessions: Partial<Record<GraphName, ort.InferenceSession>>): Partial<Record<GraphName, GraphSignature>> {
  return Object.fromEntries(Object.entries(sessions).map(([name, s]) => [name, { inputs: s.inputMetadata, outputs: s.outputMetadata }]));
}

function detectVariant(
  sessions: Partial<Record<GraphName, ort.InferenceSession>>,
  tokenizer: TextTokenizer | undefined,
  problems: string[],
): ChatterboxVariant {
  const width = sessions.language_model ? lastDim(sessions.language_model.outputMetadata, 'logits') : undefined;
  const embedInputs = sessions.embed_tokens?.inputNames ?? [];
  if (width === LOGITS_WIDTH.turbo || (width === undefined && !embedInputs.includes('exaggeration'))) {
    if (sessions.language_model && !sessions.language_model.inputNames.includes('position_ids'))
      problems.push("turbo language_model: missing input 'position_ids'");
    return 'turbo';
  }
  if (width !== undefined && width !== LOGITS_WIDTH.english)
    problems.push(`language_model: logits are ${width} wide, expected 8194 (English/multilingual) or 6563 (Turbo)`);
  if (sessions.embed_tokens) {
    for (const name of ['position_ids', 'exaggeration']) if (!embedInputs.includes(name)) problems.push(`embed_tokens: missing input '${name}'`);
  }
  return tokenizer?.isMultilingual ? 'multilingual' : 'english';
}

/**
 * Loads a model directory in the onnx-community layout and checks it against the export's signature.
 * Throws one TtsError ENGINE_FAILED that lists every mismatch: missing, truncated or mis-shaped files.
 */
export async function loadChatterboxModel(dir: string, options: { dtype: ModelDtype; device: DeviceChoice; gpu: number }): Promise<ChatterboxModel> {
  const { files, problems } = findModelFiles(dir, options.dtype);
  const loaded = await loadSessions(files, options.device, options.gpu);
  problems.push(...loaded.problems);
  problems.push(...checkSignatures(signaturesOf(loaded.sessions)).problems);
  let tokenizer: TextTokenizer | undefined;
  const variantProblems: string[] = [];
  try {
    if (files.tokenizer) tokenizer = loadTextTokenizer(files.tokenizer);
  } catch (err) {
    problems.push(`tokenizer.json: ${(err as Error).message}`);
  }
  const variant = detectVariant(loaded.sessions, tokenizer, variantProblems);
  problems.push(...variantProblems);
  if (variant !== 'turbo' && tokenizer && !files.defaultVoice) problems.push('missing default_voice.wav (English and multilingual exports ship one)');
  const { sessions } = loaded;
  if (problems.length > 0 || !tokenizer || !isComplete(sessions)) {
    await releaseAll(sessions);
    throw new TtsError('ENGINE_FAILED', `${dir} is not a usable Chatterbox model (${options.dtype}):\n  - ${problems.join('\n  - ')}`);
  }
  tokenizer.setVariant(variant);
  const lm = sessions.language_model;
  const cacheMeta = lm.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  const cacheShape = cacheMeta?.isTensor ? cacheMeta.shape : [];
  let generationDefaults: Partial<GenerationDefaults> = {};
  let ignoredConfig: Array<{ field: string; reason: string }> = [];
  if (files.generationConfig) {
    const parsed = parseGenerationConfig(JSON.parse(readFileSync(files.generationConfig, 'utf8')) as unknown);
    generationDefaults = parsed.overrides;
    ignoredConfig = parsed.ignored;
  }
  return {
    dir,
    variant,
    files,
    sessions,
    tokenizer,
    device: loaded.device,
    provider: loaded.provider,
    deviceReason: loaded.reason,
    lm: {
      layers: checkSignatures({ language_model: { inputs: lm.inputMetadata, outputs: lm.outputMetadata } }).layers,
      kvHeads: Number(cacheShape[1]),
      headDim: Number(cacheShape[3]),
      hidden: lastDim(lm.inputMetadata, 'inputs_embeds') ?? Number.NaN,
      vocab: lastDim(lm.outputMetadata, 'logits') ?? LOGITS_WIDTH[variant === 'turbo' ? 'turbo' : 'english'],
      cacheType: cacheMeta?.isTensor ? cacheMeta.type : 'float32',
      embedsType: tensorType(lm.inputMetadata, 'inputs_embeds') ?? 'float32',
      hasPositionIds: lm.inputNames.includes('position_ids'),
    },
    embed: {
      hasPositionIds: sessions.embed_tokens.inputNames.includes('position_ids'),
      hasExaggeration: sessions.embed_tokens.inputNames.includes('exaggeration'),
    },
    generationDefaults,
    ignoredConfig,
    release: () => releaseAll(sessions),
  };
}

function isComplete(sessions: Partial<Record<GraphName, ort.InferenceSession>>): sessions is Record<GraphName, ort.InferenceSession> {
  return Boolean(sessions.speech_encoder && sessions.embed_tokens && sessions.language_model && sessions.conditional_decoder);
}
