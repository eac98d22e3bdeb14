// Dimensions per size and variant. `full` matches the real checkpoints (Llama 520M for English, GPT-2 medium for
// Turbo) so benchmarks pay the real per-token cost; `tiny` keeps every file small enough for unit tests.

/** Which dimensions to generate. */
export type ModelSize = 'tiny' | 'full';
/** Which model family's graph signatures to reproduce. */
export type ModelVariant = 'english' | 'turbo';

/** Everything that fixes the shapes of one generated model. */
export interface ModelDims {
  layers: number;
  hidden: number;
  heads: number;
  /** KV heads; equal to `heads` in both real models. */
  kvHeads: number;
  headDim: number;
  intermediate: number;
  /** Width of `logits`: 8194 (English) or 6563 (Turbo). */
  logitsVocab: number;
  /** Rows of the text embedding (English tokenizer ids 0..703; Turbo GPT-2 ids). */
  textVocab: number;
  /** Rows of the speech embedding. */
  speechVocab: number;
  /** Learned text / speech position rows of English embed_tokens. */
  textPositions: number;
  speechPositions: number;
  /** Longest sequence the LM can position (RoPE cache rows for English, learned rows for Turbo). */
  maxPositions: number;
  ropeTheta: number;
  normEpsilon: number;
  /** The stop logit gains `stopBiasSlope` per attended token beyond this many (see language-model docs). */
  stopBiasStart: number;
  stopBiasSlope: number;
}

/** Tiny Turbo text embedding rows; the tiny byte-level tokenizer stays below this. */
export const TINY_TURBO_TEXT_VOCAB = 512;

/** The dimensions of one size and variant. */
export function modelDims(size: ModelSize, variant: ModelVariant): ModelDims {
  const english = variant === 'english';
  const common = {
    logitsVocab: english ? 8194 : 6563,
    speechVocab: english ? 8194 : 6563,
    textPositions: 2050,
    speechPositions: 4100,
    ropeTheta: 500000,
    normEpsilon: 1e-5,
    stopBiasSlope: 16,
  };
  if (size === 'tiny') {
    return {
      ...common,
      layers: 2,
      hidden: 64,
      heads: 4,
      kvHeads: 4,
      headDim: 16,
      intermediate: 128,
      textVocab: english ? 704 : TINY_TURBO_TEXT_VOCAB,
      maxPositions: 4096,
      stopBiasStart: 160,
    };
  }
  return {
    ...common,
    layers: english ? 30 : 24,
    hidden: 1024,
    heads: 16,
    kvHeads: 16,
    headDim: 64,
    intermediate: 4096,
    textVocab: english ? 704 : 50276,
    maxPositions: 8192,
    stopBiasStart: 1500,
  };
}
