// The English/multilingual language model: a Llama decoder (RMSNorm, RoPE, multi-head attention over the KV cache,
// SwiGLU MLP) with fused onnxruntime contrib ops where the real export has them: SimplifiedLayerNormalization,
// SkipSimplifiedLayerNormalization (residual add + RMSNorm) and GroupQueryAttention.
//
// Positions: without a `position_ids` input, GroupQueryAttention derives them inside the graph from attention_mask
// (seqlens_k = attended − 1, total_sequence_length = mask width; new token i sits at past + i); the plain-op path
// uses cumsum(attention_mask) − 1. With `positionIds`, the input overrides both.
import { attention } from './attention.js';
import type { AttentionKind } from './attention.js';
import { addStopBias, cacheDataType, declarePastInputs, declarePresentOutputs, DIM, maskContext, rotaryTables, speechHeadBias } from './lm-common.js';
import { float, GraphBuilder, MS_DOMAIN } from './onnx-builder.js';
import type { ModelDtype } from './make-model.js';
import { linearFor } from './quantized-linear.js';
import type { ModelDims } from './sizes.js';
import { randomWeight } from './weights.js';

/** How to build a language model graph. */
export interface LanguageModelOptions {
  dims: ModelDims;
  seed: number;
  dtype: ModelDtype;
  attention: AttentionKind;
  /** Add a `position_ids` input (some revisions of the export have one). */
  positionIds: boolean;
}

/** The English language model graph (weights generated lazily when written). */
export function buildLlamaLanguageModel(options: LanguageModelOptions): GraphBuilder {
  const { dims, seed } = options;
  const g = new GraphBuilder('language_model');
  const cacheType = cacheDataType(options.dtype);
  const embeds = g.input('inputs_embeds', 'float32', [DIM.batch, DIM.sequence, dims.hidden]);
  const mask = g.input('attention_mask', 'int64', [DIM.batch, DIM.total]);
  const positionIds = options.positionIds ? g.input('position_ids', 'int64', [DIM.batch, DIM.sequence]) : undefined;
  const past = declarePastInputs(g, dims, cacheType);

  const linear = linearFor(g, seed, options.dtype);
  const gamma = (name: string) => randomWeight(g, seed, name, [dims.hidden], 0.1, 1);
  const epsilon = float(dims.normEpsilon);
  // RMSNorm(input + skip); returns [normalised, input + skip] (the next residual).
  const addAndNorm = (input: string, skip: string, gammaName: string): [string, string] => {
    const outputs = g.node('SkipSimplifiedLayerNormalization', [input, skip, gamma(gammaName)], {
      domain: MS_DOMAIN,
      outputs: 4,
      attributes: { epsilon },
    });
    return [outputs[0]!, outputs[3]!];
  };
  const ctx = maskContext(g, mask, embeds, positionIds);
  const rotary = rotaryTables(g, dims, options.attention === 'gqa' ? cacheType : 'float32');
  const width = dims.heads * dims.headDim;
  const qkvWidth = (dims.heads + 2 * dims.kvHeads) * dims.headDim;

  let normed = g.op('SimplifiedLayerNormalization', [embeds, gamma('model.layers.0.input_layernorm.weight')], {
    axis: -1,
    epsilon,
    stash_type: 1,
  });
  let residual = embeds;
  let mlpOut = '';
  for (let i = 0; i < dims.layers; i++) {
    const p = `model.layers.${i}`;
    g.scope(`layers.${i}`, () => {
      if (i > 0) [normed, residual] = addAndNorm(mlpOut, residual, `${p}.input_layernorm.weight`);
      const attended = attention(g, options.attention, {
        qkv: linear(normed, `${p}.self_attn.qkv_proj.weight`, [dims.hidden, qkvWidth]),
        pastKey: past[i]![0],
        pastValue: past[i]![1],
        presentKey: `present.${i}.key`,
        presentValue: `present.${i}.value`,
        heads: dims.heads,
        kvHeads: dims.kvHeads,
        headDim: dims.headDim,
        cacheType,
        rotary,
        ctx,
      });
      const projected = linear(attended, `${p}.self_attn.o_proj.weight`, [width, dims.hidden]);
      [normed, residual] = addAndNorm(projected, residual, `${p}.post_attention_layernorm.weight`);
      const gate = linear(normed, `${p}.mlp.gate_proj.weight`, [dims.hidden, dims.intermediate]);
      const up = linear(normed, `${p}.mlp.up_proj.weight`, [dims.hidden, dims.intermediate]);
      const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
      mlpOut = linear(act, `${p}.mlp.down_proj.weight`, [dims.intermediate, dims.hidden]);
    });
  }
  const [finalNormed] = addAndNorm(mlpOut, residual, 'model.norm.weight');
  const raw = linear(finalNormed, 'speech_head.weight', [dims.hidden, dims.logitsVocab]);
  addStopBias(g, speechHeadBias(g, raw, dims), ctx, dims);
  g.output('logits', 'float32', [DIM.batch, DIM.sequence, dims.logitsVocab]);
  declarePresentOutputs(g, dims, cacheType);
  return g;
}
