// The sampler of sampler.ts as graph nodes, one row per request, so the decode loop draws its tokens without leaving
// onnxruntime. It reproduces sampleToken's semantics step for step: CFG, masking of ids past the stop token,
// repetition penalty, then argmax (temperature 0) or min_p → top_k → top_p over the unscaled logits with weights
// exp((logit − max) / T) in float64, and the draw walks the kept ids in id order until the running sum exceeds
// u × total. Float32 steps (CFG, penalty) match the JS side, which rounds each of them to float32 too.
import type { NodeBuilder } from './node-builder.js';

/** Names of the values the sampler reads; every [N] tensor has one entry per request. */
export interface SamplerValues {
  /** float32 [R, V]: the language model's logits at the last position, one row per batch row. */
  logits: string;
  /** int64 [N]: the batch row holding each request's conditioned logits. */
  condRows: string;
  /** int64 [N]: the row of the unconditioned logits (the cond row itself without CFG). */
  uncondRows: string;
  /** float32 [N]: CFG weight (0 = off). */
  cfgWeight: string;
  /** float32 [N]: repetition penalty (1 = off). */
  repetitionPenalty: string;
  /** float64 [N]: 1 / temperature, 0 for greedy. */
  invTemperature: string;
  /** float64 [N]: temperature × ln(min_p), −∞ when min_p is off. */
  minPOffset: string;
  /** int64 [N]: top_k (0 = off). */
  topK: string;
  /** float64 [N]: top_p (1 = off). */
  topP: string;
  /** float64 [N]: this step's uniform number in [0, 1). */
  uniform: string;
  /** bool [N, V]: ids the repetition penalty applies to. */
  seen: string;
}

/** Vocabulary facts fixed when the graph is built. */
export interface SamplerShape {
  vocab: number;
  /** Ids above this are never drawn (English masks 6563…); undefined keeps every id. */
  maxValidId: number | undefined;
}

/** Adds the sampler's nodes; returns the drawn token ids, int64 [N]. */
export function addSamplerNodes(b: NodeBuilder, v: SamplerValues, shape: SamplerShape): string {
  const column = (x: string) => b.op('Unsqueeze', [x, b.i64([1])]);
  const negInf64 = b.f64(Number.NEGATIVE_INFINITY);

  // CFG: cond + w·(cond − uncond); skipped where w = 0, as applyCfg returns early (−∞ − −∞ would be NaN).
  const cond = b.op('Gather', [v.logits, v.condRows], { axis: 0 });
  const uncond = b.op('Gather', [v.logits, v.uncondRows], { axis: 0 });
  const weight = column(v.cfgWeight);
  const guided = b.op('Add', [cond, b.op('Mul', [weight, b.op('Sub', [cond, uncond])])]);
  let logits = b.op('Where', [b.op('Equal', [weight, b.f32(0)]), cond, guided]);
  if (shape.maxValidId !== undefined && shape.maxValidId < shape.vocab - 1) {
    const valid = b.tensor(
      'valid_ids',
      'bool',
      [shape.vocab],
      Uint8Array.from({ length: shape.vocab }, (_, id) => (id <= shape.maxValidId! ? 1 : 0)),
    );
    logits = b.op('Where', [valid, logits, b.f32(Number.NEGATIVE_INFINITY)]);
  }

  // Repetition penalty over the seen ids: x < 0 ? x·p : x / p.
  const penalty = column(v.repetitionPenalty);
  const penalized = b.op('Where', [b.op('Less', [logits, b.f32(0)]), b.op('Mul', [logits, penalty]), b.op('Div', [logits, penalty])]);
  logits = b.op('Where', [v.seen, penalized, logits]);

  const greedy = b.op('ArgMax', [logits], { axis: 1, keepdims: 0 });

  const max = b.reduce('ReduceMax', logits, [1]);
  const x = b.cast(logits, 'float64');
  const max64 = b.cast(max, 'float64');
  const finite = b.op('Greater', [x, negInf64]);
  // min_p: keep x ≥ max + T·ln(min_p).
  const minPBar = b.op('Add', [max64, column(v.minPOffset)]);
  // top_k: the k-th largest logit (ties with it stay); off for k = 0.
  const [sorted, _order] = b.node('TopK', [logits, b.i64([shape.vocab])], { axis: 1, largest: 1, sorted: 1 }, 2);
  const kIndex = b.op('Clip', [b.op('Sub', [v.topK, b.i64(1)]), b.i64(0), b.i64(shape.vocab - 1)]);
  const kth = b.cast(b.op('GatherElements', [sorted!, column(kIndex)], { axis: 1 }), 'float64');
  const topKBar = b.op('Where', [column(b.op('Greater', [v.topK, b.i64(0)])), kth, negInf64]);
  const bar = b.op('Max', [minPBar, topKBar]);

  const invT = column(v.invTemperature);
  const weightsOf = (values: string, keep: string) => b.op('Where', [keep, b.op('Exp', [b.op('Mul', [b.op('Sub', [values, max64]), invT])]), b.f64(0)]);
  const candidate = b.op('And', [b.op('GreaterOrEqual', [x, bar]), finite]);
  const candidateWeights = weightsOf(x, candidate);
  const lastColumn = (t: string) => b.op('Slice', [t, b.i64([-1]), b.i64([Number.MAX_SAFE_INTEGER]), b.i64([1])]);
  const total = lastColumn(b.op('CumSum', [candidateWeights, b.i64(1)]));

  // top_p: walking down from the top, the logit at which the cumulative weight first reaches top_p × total.
  const sorted64 = b.cast(sorted!, 'float64');
  const sortedKeep = b.op('And', [b.op('GreaterOrEqual', [sorted64, bar]), b.op('Greater', [sorted64, negInf64])]);
  const sortedCumulative = b.op('CumSum', [weightsOf(sorted64, sortedKeep), b.i64(1)]);
  const target = b.op('Mul', [column(v.topP), total]);
  const reached = b.cast(b.op('GreaterOrEqual', [sortedCumulative, target]), 'float32');
  const firstReached = b.op('ArgMax', [reached], { axis: 1, keepdims: 1 });
  const nucleusBar = b.op('GatherElements', [sorted64, firstReached], { axis: 1 });
  const anyReached = b.op('Greater', [b.reduce('ReduceMax', reached, [1]), b.f32(0)]);
  const topPOn = b.op('Less', [column(v.topP), b.f64(1)]);
  const topPBar = b.op('Where', [b.op('And', [topPOn, anyReached]), nucleusBar, negInf64]);

  const keep = b.op('And', [b.op('GreaterOrEqual', [x, b.op('Max', [bar, topPBar])]), finite]);
  const cumulative = b.op('CumSum', [b.op('Where', [keep, candidateWeights, b.f64(0)]), b.i64(1)]);
  const drawTarget = b.op('Mul', [column(v.uniform), lastColumn(cumulative)]);
  const passed = b.cast(b.op('Greater', [cumulative, drawTarget]), 'float32');
  const firstPassed = b.op('ArgMax', [passed], { axis: 1, keepdims: 0 });
  const lastKept = b.op('ArgMax', [b.cast(keep, 'float32')], { axis: 1, keepdims: 0, select_last_index: 1 });
  const anyPassed = b.op('Greater', [b.reduce('ReduceMax', passed, [1], 0), b.f32(0)]);
  const drawn = b.op('Where', [anyPassed, firstPassed, lastKept]);

  return b.op('Where', [b.op('Equal', [v.invTemperature, b.f64(0)]), greedy, drawn]);
}
