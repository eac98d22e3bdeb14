// Writes a complete model directory in the onnx-community layout:
//   onnx/{speech_encoder,embed_tokens,language_model,conditional_decoder}[_fp16].onnx (+ .onnx_data when external),
//   tokenizer.json, default_voice.wav and generation_config.json (English only), model-gen.json (how it was made;
//   not part of the real layout, so the engine must never need it).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { AttentionKind } from './attention.js';
import { buildConditionalDecoder } from './conditional-decoder.js';
import { createDefaultVoice, encodeWav16 } from './default-voice.js';
import { buildEnglishEmbedTokens, buildTurboEmbedTokens } from './embed-tokens.js';
import { englishGenerationConfigJson } from './generation-config.js';
import { buildLlamaLanguageModel } from './language-model.js';
import { buildGpt2LanguageModel } from './language-model-turbo.js';
import type { GraphBuilder } from './onnx-builder.js';
import { writeModel } from './onnx-writer.js';
import { buildSpeechEncoder } from './speech-encoder.js';
import { modelDims } from './sizes.js';
import type { ModelSize, ModelVariant } from './sizes.js';
import { englishTokenizerJson } from './tokenizer-json.js';
import { turboTokenizerJson } from './tokenizer-turbo.js';

/** Bumped whenever generated files change, so cached models are regenerated. */
export const MODEL_GEN_VERSION = 1;

/**
 * Weight/cache precision, as the exports' variants: fp16 has a float16 KV cache; q4 stores the linear layers and
 * embedding tables in 4-bit blocks (MatMulNBits, GatherBlockQuantized); q4f16 is q4 with float16 matmuls and cache.
 */
export type ModelDtype = 'fp32' | 'fp16' | 'q4' | 'q4f16';

/** File-name suffix of each dtype, as the onnx-community layout names its variants. */
const DTYPE_SUFFIX: Record<ModelDtype, string> = { fp32: '', fp16: '_fp16', q4: '_q4', q4f16: '_q4f16' };

/** The four graphs of a model directory. */
export type GraphName = 'speech_encoder' | 'embed_tokens' | 'language_model' | 'conditional_decoder';

/** What to generate. */
export interface MakeModelOptions {
  size: ModelSize;
  variant: ModelVariant;
  /** Directory to write into (created if missing; existing files are overwritten). */
  outDir: string;
  /** Seed of every weight (default 1234). */
  seed?: number;
  /** 'fp16', 'q4', 'q4f16' write `*_fp16.onnx`, `*_q4.onnx`, `*_q4f16.onnx` files (see ModelDtype; default 'fp32'). */
  dtype?: ModelDtype;
  /** English LM gets a `position_ids` input like some export revisions (Turbo always has one; default false). */
  positionIds?: boolean;
  /** English tokenizer without the [6563, 255, …, 0, 6561, 6561] template (default false). */
  plainTokenizer?: boolean;
  /** 'gqa' (fused contrib op, default) or 'standard' (plain ONNX ops, e.g. for fp32 on CUDA). */
  attention?: AttentionKind;
  /** Weights in `.onnx_data` files beside the graphs (default: true for full, false for tiny). */
  externalData?: boolean;
  /** Attended length after which the stop logit starts to grow (default from sizes.ts: tiny 160, full 1500). */
  stopBiasStart?: number;
  /** Tokens of right context the conditional decoder's audio depends on, 0..8 (default 0: left context only). */
  decoderLookahead?: number;
}

/** Defaults of the optional fields of MakeModelOptions. */
export const DEFAULT_MAKE_MODEL_OPTIONS = {
  seed: 1234,
  dtype: 'fp32' as ModelDtype,
  positionIds: false,
  plainTokenizer: false,
  attention: 'gqa' as AttentionKind,
  decoderLookahead: 0,
};

/** The file name of a graph for a dtype, following the export's suffix convention. */
export function graphFileName(graph: GraphName, dtype: ModelDtype): string {
  return `${graph}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** Generates the model directory described by `options`. */
export async function makeModel(options: MakeModelOptions): Promise<void> {
  const o = { ...DEFAULT_MAKE_MODEL_OPTIONS, externalData: options.size === 'full', ...withoutUndefined(options) };
  const base = modelDims(o.size, o.variant);
  const dims = o.stopBiasStart === undefined ? base : { ...base, stopBiasStart: o.stopBiasStart };
  const english = o.variant === 'english';
  const onnxDir = join(o.outDir, 'onnx');
  await mkdir(onnxDir, { recursive: true });

  const lmOptions = { dims, seed: o.seed, dtype: o.dtype, attention: o.attention, positionIds: o.positionIds };
  const graphs: Array<[GraphName, () => GraphBuilder]> = [
    ['speech_encoder', () => buildSpeechEncoder(dims, o.seed)],
    ['embed_tokens', () => (english ? buildEnglishEmbedTokens(dims, o.seed, o.dtype) : buildTurboEmbedTokens(dims, o.seed, o.dtype))],
    ['language_model', () => (english ? buildLlamaLanguageModel(lmOptions) : buildGpt2LanguageModel(lmOptions))],
    ['conditional_decoder', () => buildConditionalDecoder(o.seed, o.decoderLookahead)],
  ];
  for (const [name, build] of graphs) {
    writeModel(build(), join(onnxDir, graphFileName(name, o.dtype)), {
      externalData: o.externalData,
      metadata: { generator: 'chatterbox-stream model-gen', generator_version: String(MODEL_GEN_VERSION) },
    });
  }

  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const tokenizer = english ? englishTokenizerJson({ plain: o.plainTokenizer }) : turboTokenizerJson();
  await writeFile(join(o.outDir, 'tokenizer.json'), json(tokenizer));
  if (english) {
    await writeFile(join(o.outDir, 'default_voice.wav'), encodeWav16(createDefaultVoice()));
    await writeFile(join(o.outDir, 'generation_config.json'), json(englishGenerationConfigJson()));
  }
  const { outDir: _outDir, ...recorded } = o;
  await writeFile(join(o.outDir, 'model-gen.json'), json({ version: MODEL_GEN_VERSION, ...recorded, dims }));
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
