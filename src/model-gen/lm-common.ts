// Pieces both language models share: the cache inputs/outputs, what the graph derives from attention_mask, the
// rotary tables, and the stop-logit bias that makes a random model end its utterances.
import { START_SPEECH_TOKEN, STOP_SPEECH_TOKEN } from './constants.js';
import { toFloat16Array } from '../engine/onnx/float16.js';
import type { DataType, GraphBuilder } from './onnx-builder.js';
import type { ModelDtype } from './make-model.js';
import type { ModelDims } from './sizes.js';

/** Symbolic dimension names of the language model's inputs and outputs. */
export const DIM = {
  batch: 'batch_size',
  sequence: 'sequence_length',
  past: 'past_sequence_length',
  total: 'total_sequence_length',
} as const;

/** Values derived once from `attention_mask` and used by every layer. */
export interface MaskContext {
  mask: string;
  /** int32 [B]: attended tokens per row minus one (GroupQueryAttention's seqlens_k). */
  seqlensK: string;
  /** int32 scalar: attention_mask width (GroupQueryAttention's total_sequence_length). */
  totalLength: string;
  /** int64 [B, S]: how many tokens each new position attends to, itself included (cumsum of the mask). */
  attendedLength: string;
  /** int64 [B, S]: position ids, from the `position_ids` input or attendedLength - 1. */
  positions: string;
  /** Whether `positions` came from a graph input. */
  positionsFromInput: boolean;
}

/** The cache dtype of a model dtype: float16 for fp16 and q4f16, as the exports' fp16 variants want. */
export function cacheDataType(dtype: ModelDtype): DataType {
  return dtype === 'fp16' || dtype === 'q4f16' ? 'float16' : 'float32';
}

/** Declares `past_key_values.{i}.key/value` inputs in layer order; returns [key, value] names per layer. */
export function declarePastInputs(g: GraphBuilder, dims: ModelDims, cacheType: DataType): Array<[string, string]> {
  return Array.from({ length: dims.layers }, (_, i) => {
    const shape = [DIM.batch, dims.kvHeads, DIM.past, dims.headDim];
    return [g.input(`past_key_values.${i}.key`, cacheType, shape), g.input(`past_key_values.${i}.value`, cacheType, shape)] as [string, string];
  });
}

/** Declares `present.{i}.key/value` outputs (after `logits`, as the real export orders them). */
export function declarePresentOutputs(g: GraphBuilder, dims: ModelDims, cacheType: DataType): void {
  for (let i = 0; i < dims.layers; i++) {
    const shape = [DIM.batch, dims.kvHeads, DIM.total, dims.headDim];
    g.output(`present.${i}.key`, cacheType, shape);
    g.output(`present.${i}.value`, cacheType, shape);
  }
}

/**
 * Derives the attention bookkeeping from attention_mask [B, T] and the new tokens' count S (taken from `hidden`
 * [B, S, H]). Positions count attended tokens (right for left padding in the plain-op path; GroupQueryAttention
 * itself only supports right padding).
 */
export function maskContext(g: GraphBuilder, mask: string, hidden: string, positionIds?: string): MaskContext {
  return g.scope('mask', () => {
    const rowSums = g.op('ReduceSum', [mask, g.i64([1])], { keepdims: 0 });
    const seqlensK = g.op('Cast', [g.op('Sub', [rowSums, g.i64(1)])], { to: 6 });
    const maskShape = g.op('Shape', [mask]);
    const total = g.op('Gather', [maskShape, g.i64(1)], { axis: 0 });
    const totalLength = g.op('Cast', [total], { to: 6 });
    const newTokens = g.op('Gather', [g.op('Shape', [hidden]), g.i64(1)], { axis: 0 });
    const cumulative = g.op('CumSum', [mask, g.i64(1)]);
    const start = g.op('Unsqueeze', [g.op('Neg', [newTokens]), g.i64([0])]);
    const attendedLength = g.op('Slice', [cumulative, start, g.i64([Number.MAX_SAFE_INTEGER]), g.i64([1])]);
    const positions = positionIds ?? g.op('Sub', [attendedLength, g.i64(1)]);
    return { mask, seqlensK, totalLength, attendedLength, positions, positionsFromInput: positionIds !== undefined };
  });
}

/** cos/sin tables [maxPositions, headDim/2] for half-split (non-interleaved) RoPE, in `dataType`. */
export function rotaryTables(g: GraphBuilder, dims: ModelDims, dataType: DataType): { cos: string; sin: string } {
  const half = dims.headDim / 2;
  const table = (fn: (x: number) => number) => () => {
    const values = new Float32Array(dims.maxPositions * half);
    for (let p = 0; p < dims.maxPositions; p++) {
      for (let i = 0; i < half; i++) values[p * half + i] = fn(p * dims.ropeTheta ** (-(2 * i) / dims.headDim));
    }
    return dataType === 'float16' ? toFloat16Array(values) : values;
  };
  const shape = [dims.maxPositions, half];
  const suffix = dataType === 'float16' ? '_fp16' : '';
  return {
    cos: g.weight(`model.rotary.cos_cache${suffix}`, dataType, shape, table(Math.cos)),
    sin: g.weight(`model.rotary.sin_cache${suffix}`, dataType, shape, table(Math.sin)),
  };
}

/**
 * The speech head's bias: −20 on ids the real model never emits (6561 start-of-speech, and 6563… of English's
 * 8194), so sampling from random weights stays on the codebook and the stop token, as a trained head does.
 */
export function speechHeadBias(g: GraphBuilder, logits: string, dims: ModelDims): string {
  const bias = g.weight('speech_head.bias', 'float32', [dims.logitsVocab], () => {
    const v = new Float32Array(dims.logitsVocab);
    for (let id = START_SPEECH_TOKEN; id < dims.logitsVocab; id++) if (id !== STOP_SPEECH_TOKEN) v[id] = -20;
    return v;
  });
  return g.op('Add', [logits, bias]);
}

/**
 * Adds `stopBiasSlope · max(0, attended − stopBiasStart)` to the stop token's logit at every position. A random
 * model has no reason to stop; this makes it stop within a bounded length under any sampler (8 tokens past the start
 * the bias is +128, far beyond the other logits' spread). It depends only on each position's attended length, so
 * incremental and full-sequence runs agree, and CFG's cond/uncond rows carry the same bias.
 */
export function addStopBias(g: GraphBuilder, logits: string, ctx: MaskContext, dims: ModelDims): string {
  return g.scope('stop_bias', () => {
    const attended = g.op('Cast', [ctx.attendedLength], { to: 1 });
    const over = g.op('Relu', [g.op('Sub', [attended, g.f32(dims.stopBiasStart)])]);
    const bias = g.op('Unsqueeze', [g.op('Mul', [over, g.f32(dims.stopBiasSlope)]), g.i64([2])]);
    const oneHot = g.weight('stop_token_one_hot', 'float32', [dims.logitsVocab], () => {
      const v = new Float32Array(dims.logitsVocab);
      v[STOP_SPEECH_TOKEN] = 1;
      return v;
    });
    return g.op('Add', [logits, g.op('Mul', [bias, oneHot])], {}, 'logits');
  });
}
