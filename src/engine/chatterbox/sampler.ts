import { CandidateSet } from './candidate-set.js';

/** How the next speech token is drawn from the model's logits; each field's neutral value turns its stage off. */
export interface SamplerParams {
  /** Divides the logits; 0 = greedy argmax (after the repetition penalty), 1 = unchanged. */
  temperature: number;
  /** Keep the k most likely tokens (and any tied with the k-th); 0 = off. */
  topK: number;
  /** Nucleus: keep the most likely tokens until their probability reaches topP; 1 = off. */
  topP: number;
  /** Drop tokens less likely than minP × the most likely one; 0 = off. */
  minP: number;
  /** HF repetition penalty over the tokens seen so far; 1 = off. */
  repetitionPenalty: number;
  /** Classifier-free guidance weight, applied by the caller with `combineCfgRows`; 0 = off (one batch row). */
  cfgWeight: number;
}

/** Every stage off: `sampleToken` then draws straight from softmax(logits). */
export const NEUTRAL_SAMPLER_PARAMS: Readonly<SamplerParams> = Object.freeze({
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  repetitionPenalty: 1,
  cfgWeight: 0,
});

const NEG_INF = Number.NEGATIVE_INFINITY;

// Scratch reused across calls: sampleToken runs once per token and must not allocate per call.
// Safe because every function here is synchronous and each worker thread has its own module instance.
const candidates = new CandidateSet();
/** Marks the ids the repetition penalty has already scaled, cleared again before it returns. */
let seen = new Uint8Array(0);

/** CFG in place: cond[i] += weight × (cond[i] − uncond[i]) in float32 arithmetic; returns `cond`. Throws RangeError on a length mismatch. */
export function applyCfg(cond: Float32Array, uncond: Float32Array, weight: number): Float32Array {
  if (cond.length !== uncond.length) {
    throw new RangeError(`CFG rows differ in length: ${cond.length} vs ${uncond.length}`);
  }
  if (weight === 0) return cond;
  // Each step rounded to float32, as the fused decode graph computes it, so both give the same tokens.
  const w = Math.fround(weight);
  for (let i = 0; i < cond.length; i++) cond[i] = cond[i]! + Math.fround(w * Math.fround(cond[i]! - uncond[i]!));
  return cond;
}

/**
 * The guided logits of the last position of a [2, S, vocabSize] language-model output (batch row 0 conditioned,
 * row 1 unconditioned), written into `out` (a new array when absent) so the model's buffer is left alone.
 * Throws RangeError when the length is not a multiple of 2 × vocabSize or `out` has the wrong length.
 */
export function combineCfgRows(logits: Float32Array, vocabSize: number, weight: number, out?: Float32Array): Float32Array {
  const rowsPerBatch = logits.length / (2 * vocabSize);
  if (!Number.isInteger(rowsPerBatch) || rowsPerBatch < 1) {
    throw new RangeError(`CFG logits of length ${logits.length} are not [2, S, ${vocabSize}]`);
  }
  const target = out ?? new Float32Array(vocabSize);
  if (target.length !== vocabSize) {
    throw new RangeError(`CFG output must hold ${vocabSize} logits, has ${target.length}`);
  }
  const condStart = (rowsPerBatch - 1) * vocabSize;
  const uncondStart = condStart + rowsPerBatch * vocabSize;
  target.set(logits.subarray(condStart, condStart + vocabSize));
  return applyCfg(target, logits.subarray(uncondStart, uncondStart + vocabSize), weight);
}

/** Sets every id above `maxValidId` to -Infinity in place so it is never drawn; returns `logits`. */
export function maskInvalidTokens(logits: Float32Array, maxValidId: number): Float32Array {
  return logits.fill(NEG_INF, Math.max(0, maxValidId + 1));
}

/**
 * HF/PyTorch repetition penalty in place: each distinct id of `tokenIds` (repeats count once) gets
 * logit < 0 ? logit × penalty : logit / penalty. Returns `logits`. Throws RangeError on a penalty ≤ 0 or an id out of
 * range.
 */
export function applyRepetitionPenalty(logits: Float32Array, tokenIds: ArrayLike<number>, penalty: number): Float32Array {
  if (!(penalty > 0 && penalty < Infinity)) throw new RangeError(`repetition penalty must be > 0, got ${penalty}`);
  if (penalty === 1) return logits;
  // Validate before marking: a throw halfway would leave marks behind for the next call.
  for (let i = 0; i < tokenIds.length; i++) {
    const id = tokenIds[i]!;
    if (!(Number.isInteger(id) && id >= 0 && id < logits.length)) {
      throw new RangeError(`token id ${id} outside the ${logits.length}-wide vocabulary`);
    }
  }
  if (seen.length < logits.length) seen = new Uint8Array(logits.length);
  const penalty32 = Math.fround(penalty);
  for (let i = 0; i < tokenIds.length; i++) {
    const id = tokenIds[i]!;
    if (seen[id] === 1) continue;
    seen[id] = 1;
    const value = logits[id]!;
    // float32 penalty and one rounding (the typed array store): the fused decode graph's float32 Mul/Div exactly.
    logits[id] = value < 0 ? value * penalty32 : value / penalty32;
  }
  for (let i = 0; i < tokenIds.length; i++) seen[tokenIds[i]!] = 0;
  return logits;
}

/** Divides the logits by `temperature` in place; returns `logits`. Throws RangeError unless temperature > 0. */
export function applyTemperature(logits: Float32Array, temperature: number): Float32Array {
  if (!(temperature > 0 && temperature < Infinity)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  if (temperature === 1) return logits;
  const scale = 1 / temperature;
  for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! * scale;
  return logits;
}

/**
 * Min-p in place: sets to -Infinity every token whose probability is below minP × the top probability; returns
 * `logits`. Throws RangeError outside [0, 1] or without a finite logit.
 */
export function applyMinP(logits: Float32Array, minP: number): Float32Array {
  if (!(minP >= 0 && minP <= 1)) throw new RangeError(`min_p must be in [0, 1], got ${minP}`);
  if (minP === 0) return logits;
  return maskBelow(logits, maxLogit(logits) + Math.log(minP));
}

/**
 * Top-k in place: sets to -Infinity every token below the k-th largest logit (ties with it stay); returns `logits`.
 * Throws RangeError unless k is a whole number ≥ 0, on NaN, or without a finite logit.
 */
export function applyTopK(logits: Float32Array, k: number): Float32Array {
  if (!(Number.isInteger(k) && k >= 0)) throw new RangeError(`top_k must be a whole number ≥ 0, got ${k}`);
  if (k === 0) return logits;
  if (candidates.collect(logits, NEG_INF) <= k) return logits;
  return maskBelow(logits, candidates.kthLargest(logits, k));
}

/**
 * Nucleus (top-p) in place, HF semantics: keeps the most likely tokens up to and including the one whose cumulative
 * probability reaches topP (the top token always stays; tokens tied with the last kept one stay too, so the result
 * does not depend on index order), sets the rest to -Infinity; returns `logits`. Throws RangeError outside [0, 1],
 * on NaN, or without a finite logit.
 */
export function applyTopP(logits: Float32Array, topP: number): Float32Array {
  if (!(topP >= 0 && topP <= 1)) throw new RangeError(`top_p must be in [0, 1], got ${topP}`);
  if (topP === 1) return logits;
  candidates.collect(logits, NEG_INF);
  const total = candidates.weigh(logits, 1);
  return maskBelow(logits, candidates.nucleusThreshold(logits, topP, total));
}

/**
 * Softmax in place: logits become probabilities summing to 1 (-Infinity becomes 0); returns the same array.
 * Throws RangeError on NaN or without a finite logit.
 */
export function softmax(logits: Float32Array): Float32Array {
  const max = maxLogit(logits);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const weight = Math.exp(logits[i]! - max);
    logits[i] = weight;
    total += weight;
  }
  if (!(total < Infinity)) throw new RangeError('sampler: logits contain NaN');
  const scale = 1 / total;
  for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! * scale;
  return logits;
}

/**
 * Draws the next token id; only the repetition penalty writes to `logits`. Order: repetition penalty over `history`
 * → temperature (0 = argmax, `random` untouched) → min_p → top_k → top_p → softmax → one draw of `random` (a number
 * in [0, 1)). CFG and masking come first, from the caller. Throws RangeError on bad params, NaN or no finite logit.
 */
export function sampleToken(logits: Float32Array, params: SamplerParams, history: ArrayLike<number>, random: () => number): number {
  const { temperature, topK, topP, minP } = params;
  if (!(temperature >= 0 && temperature < Infinity)) {
    throw new RangeError(`temperature must be ≥ 0, got ${temperature}`);
  }
  if (!(Number.isInteger(topK) && topK >= 0)) throw new RangeError(`top_k must be a whole number ≥ 0, got ${topK}`);
  if (!(topP >= 0 && topP <= 1)) throw new RangeError(`top_p must be in [0, 1], got ${topP}`);
  if (!(minP >= 0 && minP <= 1)) throw new RangeError(`min_p must be in [0, 1], got ${minP}`);
  applyRepetitionPenalty(logits, history, params.repetitionPenalty);
  if (temperature === 0) return argmax(logits);

  // Temperature is applied lazily, to the few candidates that survive: filters compare unscaled logits, since
  // (v − max) / T ≥ ln(minP) ⇔ v ≥ max + T·ln(minP), and scaling by 1/T keeps the order top_k and top_p rely on.
  const count = candidates.collect(logits, minP === 0 ? NEG_INF : temperature * Math.log(minP));
  if (topK > 0 && count > topK) candidates.keepAtLeast(logits, candidates.kthLargest(logits, topK));
  let total = candidates.weigh(logits, 1 / temperature);
  if (topP < 1 && candidates.count > 1) {
    candidates.keepAtLeast(logits, candidates.nucleusThreshold(logits, topP, total));
    total = candidates.totalWeight();
  }
  // The walk adds the same weights in the same order as `total`, and u < 1, so it stops before the end.
  return candidates.draw(random() * total);
}

/** The index of the largest logit (the first of ties). Throws RangeError on NaN or when none is finite. */
export function argmax(logits: Float32Array): number {
  let best = -1;
  let bestValue = NEG_INF;
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i]!;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    } else if (value !== value) {
      throw new RangeError('sampler: logits contain NaN');
    }
  }
  if (best < 0 || bestValue === Infinity) throw new RangeError('sampler: no finite logit');
  return best;
}

function maxLogit(logits: Float32Array): number {
  let max = NEG_INF;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  if (!(max > NEG_INF && max < Infinity)) throw new RangeError('sampler: no finite logit');
  return max;
}

function maskBelow(logits: Float32Array, threshold: number): Float32Array {
  for (let i = 0; i < logits.length; i++) if (logits[i]! < threshold) logits[i] = NEG_INF;
  return logits;
}
