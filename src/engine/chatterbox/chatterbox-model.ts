import { readFileSync } from 'node:fs';
import type ort from 'onnxruntime-node';
import { TtsError } from '../../protocol/errors.js';
import type { DeviceChoice } from '../onnx/execution-provider.js';
import { findModelFiles, type GraphName, type ModelDtype, type ModelFiles } from '../onnx/model-files.js';
import { createSession, loadSessions, releaseAll, type LoadedSessions } from '../onnx/load-sessions.js';
import { stepCacheLocations } from '../onnx/session-options.js';
import { checkSignatures, lastDim, tensorType, type GraphSignature } from '../onnx/signature.js';
import type { DecodeMode, FusedDecoder } from './fused/fused-decoder.js';
import { loadFusedDecoder } from './fused/fused-decoder.js';
import { REAL_TIME_TOKENS_PER_SEC } from '../engine-capacity.js';
import { createFusedBatcher, type FusedBatcher } from './fused/fused-batcher.js';
import { readModelFile, signatureOfGraph, type GraphProto } from './fused/onnx-proto-io.js';
import { parseGenerationConfig, type ChatterboxVariant, type GenerationDefaults } from './sampler-params.js';
import { loadTextTokenizer, TOKENS, type TextTokenizer } from './text-tokenizer.js';

/** Logits width of each language-model family. */
const LOGITS_WIDTH = { english: 8194, turbo: 6563 } as const;

/** A loaded, checked Chatterbox model: sessions plus what the generation loop must know about its graphs. */
export interface ChatterboxModel {
  dir: string;
  variant: ChatterboxVariant;
  files: ModelFiles;
  /** language_model is absent when the fused decode graph holds the language model instead. */
  sessions: Record<Exclude<GraphName, 'language_model'>, ort.InferenceSession> & { language_model?: ort.InferenceSession };
  /** The fused decode graph, when generation runs on it. */
  fused: FusedDecoder | undefined;
  /** Shares the fused graph's runs among concurrent requests (present with `fused`). */
  batcher: FusedBatcher | undefined;
  /** Which generation loop runs, and why (the fallback's reason when the fused graph could not be used). */
  decode: { mode: 'fused' | 'step'; reason: string };
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

function detectVariant(signatures: Partial<Record<GraphName, GraphSignature>>, tokenizer: TextTokenizer | undefined, problems: string[]): ChatterboxVariant {
  const lmSignature = signatures.language_model;
  const width = lmSignature ? lastDim(lmSignature.outputs, 'logits') : undefined;
  const embedInputs = signatures.embed_tokens?.inputs.map((m) => m.name) ?? [];
  if (width === LOGITS_WIDTH.turbo || (width === undefined && !embedInputs.includes('exaggeration'))) {
    if (lmSignature && !lmSignature.inputs.some((m) => m.name === 'position_ids')) problems.push("turbo language_model: missing input 'position_ids'");
    return 'turbo';
  }
  if (width !== undefined && width !== LOGITS_WIDTH.english)
    problems.push(`language_model: logits are ${width} wide, expected 8194 (English/multilingual) or 6563 (Turbo)`);
  if (signatures.embed_tokens) {
    for (const name of ['position_ids', 'exaggeration']) if (!embedInputs.includes(name)) problems.push(`embed_tokens: missing input '${name}'`);
  }
  return tokenizer?.isMultilingual ? 'multilingual' : 'english';
}

/** How to load a model. */
export interface LoadModelOptions {
  dtype: ModelDtype;
  device: DeviceChoice;
  gpu: number;
  /** Generation loop: 'step' (default here), 'fused' (fail when the model cannot be wrapped) or 'auto'. */
  decode?: DecodeMode;
  /** Where the fused decode graph is cached; undefined: the user's cache dir, then the temp dir. */
  fusedCacheDir?: string | undefined;
  /** Most requests sharing one fused run (default 8). */
  maxBatchRequests?: number;
  /** Tokens per second every running request must keep for another to be admitted; 0 admits all; absent or -1: 25 on a GPU, 0 on CPU. */
  admitTokensPerSec?: number | undefined;
  /** Prompts of requests arriving together share one fused run (default true; false runs each alone, for benchmarks). */
  batchPrompts?: boolean;
}

/** Reads a graph's signature from its file (no session), or records why it cannot. */
function fileSignature(path: string, problems: string[]): GraphSignature | undefined {
  try {
    return signatureOfGraph(readModelFile(path).graph as GraphProto);
  } catch (err) {
    problems.push(`language_model: cannot read ${path}: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** The fused decoder, or why the step loop runs instead (the language_model session is then created here). */
async function chooseDecoder(
  files: ModelFiles,
  loaded: LoadedSessions,
  options: LoadModelOptions,
  lmOutputs: readonly string[],
): Promise<{ fused: FusedDecoder | undefined; reason: string; lmSession?: ort.InferenceSession }> {
  const mode = options.decode ?? 'step';
  const embed = files.graphs.embed_tokens;
  const lm = files.graphs.language_model;
  let reason = 'decode step was requested';
  if (mode !== 'step' && embed && lm) {
    try {
      const source = { embedPath: embed.path, lmPath: lm.path, stopToken: TOKENS.stopSpeech, maxValidId: TOKENS.stopSpeech, cacheDir: options.fusedCacheDir };
      const fused = await loadFusedDecoder(source, loaded.providers);
      return { fused, reason: `fused decode graph ${fused.reused ? 'reused from' : 'built at'} ${fused.path}` };
    } catch (err) {
      reason = `the fused decode graph cannot be used: ${(err as Error).message.split('\n')[0]}`;
      if (mode === 'fused') throw new TtsError('ENGINE_FAILED', `decode fused was requested but ${reason}`);
    }
  }
  // A step-loop language model loadSessions created already is kept (a second session would hold the weights twice).
  if (!lm || loaded.sessions.language_model) return { fused: undefined, reason };
  return { fused: undefined, reason, lmSession: await createSession(lm.path, loaded.providers, stepCacheLocations(loaded.providers, lmOutputs)) };
}

/**
 * Loads a model directory in the onnx-community layout and checks it against the export's signature.
 * Throws one TtsError ENGINE_FAILED that lists every mismatch: missing, truncated or mis-shaped files.
 */
export async function loadChatterboxModel(dir: string, options: LoadModelOptions): Promise<ChatterboxModel> {
  const { files, problems } = findModelFiles(dir, options.dtype);
  // WebGPU's step loop needs the output names before its session exists (see session-options.ts): read from the file.
  const lmSkipped = (options.decode !== undefined && options.decode !== 'step') || options.device === 'webgpu';
  const loaded = await loadSessions(files, options.device, options.gpu, lmSkipped ? ['language_model'] : []);
  problems.push(...loaded.problems);
  const signatures = signaturesOf(loaded.sessions);
  const lmFile = files.graphs.language_model;
  if (lmSkipped && lmFile) {
    const signature = fileSignature(lmFile.path, problems);
    if (signature) signatures.language_model = signature;
  }
  problems.push(...checkSignatures(signatures).problems);
  let tokenizer: TextTokenizer | undefined;
  const variantProblems: string[] = [];
  try {
    if (files.tokenizer) tokenizer = loadTextTokenizer(files.tokenizer);
  } catch (err) {
    problems.push(`tokenizer.json: ${(err as Error).message}`);
  }
  const variant = detectVariant(signatures, tokenizer, variantProblems);
  problems.push(...variantProblems);
  if (variant !== 'turbo' && tokenizer && !files.defaultVoice) problems.push('missing default_voice.wav (English and multilingual exports ship one)');
  const { sessions } = loaded;
  const lmSignature = signatures.language_model;
  if (problems.length > 0 || !tokenizer || !isComplete(sessions) || !lmSignature) {
    await releaseAll(sessions);
    throw new TtsError('ENGINE_FAILED', `${dir} is not a usable Chatterbox model (${options.dtype}):\n  - ${problems.join('\n  - ')}`);
  }
  let decoder: Awaited<ReturnType<typeof chooseDecoder>>;
  try {
    decoder = await chooseDecoder(
      files,
      loaded,
      options,
      lmSignature.outputs.map((m) => m.name),
    );
  } catch (err) {
    await releaseAll(sessions);
    throw err;
  }
  if (decoder.lmSession) sessions.language_model = decoder.lmSession;
  tokenizer.setVariant(variant);
  const lmInputs = lmSignature.inputs;
  const cacheMeta = lmInputs.find((m) => m.name === 'past_key_values.0.key');
  const cacheShape = cacheMeta?.isTensor ? cacheMeta.shape : [];
  let generationDefaults: Partial<GenerationDefaults> = {};
  let ignoredConfig: Array<{ field: string; reason: string }> = [];
  if (files.generationConfig) {
    const parsed = parseGenerationConfig(JSON.parse(readFileSync(files.generationConfig, 'utf8')) as unknown);
    generationDefaults = parsed.overrides;
    ignoredConfig = parsed.ignored;
  }
  const fused = decoder.fused;
  const model: ChatterboxModel = {
    dir,
    variant,
    files,
    sessions,
    fused,
    batcher: undefined,
    decode: { mode: fused ? 'fused' : 'step', reason: decoder.reason },
    tokenizer,
    device: loaded.device,
    provider: loaded.provider,
    deviceReason: loaded.reason,
    lm: {
      layers: checkSignatures({ language_model: lmSignature }).layers,
      kvHeads: Number(cacheShape[1]),
      headDim: Number(cacheShape[3]),
      hidden: lastDim(lmInputs, 'inputs_embeds') ?? Number.NaN,
      vocab: lastDim(lmSignature.outputs, 'logits') ?? LOGITS_WIDTH[variant === 'turbo' ? 'turbo' : 'english'],
      cacheType: cacheMeta?.isTensor ? cacheMeta.type : 'float32',
      embedsType: tensorType(lmInputs, 'inputs_embeds') ?? 'float32',
      hasPositionIds: lmInputs.some((m) => m.name === 'position_ids'),
    },
    embed: {
      hasPositionIds: sessions.embed_tokens.inputNames.includes('position_ids'),
      hasExaggeration: sessions.embed_tokens.inputNames.includes('exaggeration'),
    },
    generationDefaults,
    ignoredConfig,
    release: async () => {
      await releaseAll(sessions);
      await fused?.session.release();
    },
  };
  if (fused)
    model.batcher = createFusedBatcher(model, fused, {
      maxBatchRequests: options.maxBatchRequests ?? 8,
      admitTokensPerSec: admissionBar(options.admitTokensPerSec, loaded.device),
      batchPrompts: options.batchPrompts ?? true,
    });
  return model;
}

// CPU runs are far below real time for the full-size model, so admission there would serialise every request.
function admissionBar(setting: number | undefined, device: string): number {
  if (setting !== undefined && setting >= 0) return setting;
  return device === 'cpu' ? 0 : REAL_TIME_TOKENS_PER_SEC;
}

function isComplete(sessions: Partial<Record<GraphName, ort.InferenceSession>>): sessions is ChatterboxModel['sessions'] {
  return Boolean(sessions.speech_encoder && sessions.embed_tokens && sessions.conditional_decoder);
}
