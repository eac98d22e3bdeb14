// The Turbo language model: a GPT-2 decoder (learned positions from the `position_ids` input, pre-LayerNorm blocks,
// biased projections, tanh-GELU MLP) with the fused contrib ops onnxruntime runs on CPU and CUDA:
// SkipLayerNormalization (residual add + LayerNorm), FastGelu and GroupQueryAttention (no rotary; seqlens from
// attention_mask).
import { attention } from './attention.js';
import { addStopBias, cacheDataType, declarePastInputs, declarePresentOutputs, DIM, maskContext, speechHeadBias } from './lm-common.js';
import type { LanguageModelOptions } from './language-model.js';
import { float, GraphBuilder, MS_DOMAIN } from './onnx-builder.js';
import { linearFor } from './quantized-linear.js';
import { randomWeight } from './weights.js';

/** The Turbo language model graph (weights generated lazily when written); `positionIds` is ignored: always present. */
export function buildGpt2LanguageModel(options: LanguageModelOptions): GraphBuilder {
  const { dims, seed } = options;
  const g = new GraphBuilder('language_model');
  const cacheType = cacheDataType(options.dtype);
  const embeds = g.input('inputs_embeds', 'float32', [DIM.batch, DIM.sequence, dims.hidden]);
  const mask = g.input('attention_mask', 'int64', [DIM.batch, DIM.total]);
  const positionIds = g.input('position_ids', 'int64', [DIM.batch, DIM.sequence]);
  const past = declarePastInputs(g, dims, cacheType);

  const linear = linearFor(g, seed, options.dtype);
  const bias = (name: string, size: number) => randomWeight(g, seed, name, [size], 0.02);
  const epsilon = float(dims.normEpsilon);
  // LayerNorm(input + skip + bias); returns [normalised, input + skip + bias] (the next residual).
  const addAndNorm = (input: string, skip: string, norm: string, inputBias: string): [string, string] => {
    const gamma = randomWeight(g, seed, `${norm}.weight`, [dims.hidden], 0.1, 1);
    const beta = bias(`${norm}.bias`, dims.hidden);
    const outputs = g.node('SkipLayerNormalization', [input, skip, gamma, beta, inputBias], {
      domain: MS_DOMAIN,
      outputs: 4,
      attributes: { epsilon },
    });
    return [outputs[0]!, outputs[3]!];
  };
  // seqlens for GroupQueryAttention still come from the mask; positions only index the learned table.
  const ctx = maskContext(g, mask, embeds, positionIds);
  const width = dims.heads * dims.headDim;
  const qkvWidth = (dims.heads + 2 * dims.kvHeads) * dims.headDim;

  const positionTable = randomWeight(g, seed, 'transformer.wpe.weight', [dims.maxPositions, dims.hidden], 0.1);
  const hidden = g.op('Add', [embeds, g.op('Gather', [positionTable, positionIds], { axis: 0 })]);
  const firstGamma = randomWeight(g, seed, 'transformer.h.0.ln_1.weight', [dims.hidden], 0.1, 1);
  let normed = g.op('LayerNormalization', [hidden, firstGamma, bias('transformer.h.0.ln_1.bias', dims.hidden)], {
    axis: -1,
    epsilon,
  });
  let residual = hidden;
  let mlpOut = '';
  let mlpBias = '';
  for (let i = 0; i < dims.layers; i++) {
    const p = `transformer.h.${i}`;
    g.scope(`h.${i}`, () => {
      if (i > 0) [normed, residual] = addAndNorm(mlpOut, residual, `${p}.ln_1`, mlpBias);
      const qkv = g.op('Add', [linear(normed, `${p}.attn.c_attn.weight`, [dims.hidden, qkvWidth]), bias(`${p}.attn.c_attn.bias`, qkvWidth)]);
      const attended = attention(g, options.attention, {
        qkv,
        pastKey: past[i]![0],
        pastValue: past[i]![1],
        presentKey: `present.${i}.key`,
        presentValue: `present.${i}.value`,
        heads: dims.heads,
        kvHeads: dims.kvHeads,
        headDim: dims.headDim,
        cacheType,
        ctx,
      });
      const projected = linear(attended, `${p}.attn.c_proj.weight`, [width, dims.hidden]);
      [normed, residual] = addAndNorm(projected, residual, `${p}.ln_2`, bias(`${p}.attn.c_proj.bias`, dims.hidden));
      const fc = linear(normed, `${p}.mlp.c_fc.weight`, [dims.hidden, dims.intermediate]);
      const act = g.ms('FastGelu', [fc, bias(`${p}.mlp.c_fc.bias`, dims.intermediate)]);
      mlpOut = linear(act, `${p}.mlp.c_proj.weight`, [dims.intermediate, dims.hidden]);
      mlpBias = bias(`${p}.mlp.c_proj.bias`, dims.hidden);
    });
  }
  const [finalNormed] = addAndNorm(mlpOut, residual, 'transformer.ln_f', mlpBias);
  const raw = linear(finalNormed, 'speech_head.weight', [dims.hidden, dims.logitsVocab]);
  addStopBias(g, speechHeadBias(g, raw, dims), ctx, dims);
  g.output('logits', 'float32', [DIM.batch, DIM.sequence, dims.logitsVocab]);
  declarePresentOutputs(g, dims, cacheType);
  return g;
}
