import type { ChatterboxModel } from './chatterbox-model.js';
import type { SamplerParams } from './sampler.js';
import type { EncodedText } from './text-tokenizer.js';
import type { VoiceConditioning } from './voice-bank.js';

/** Decode steps per fused run: the first run short (early first audio), later ones one chunk each. */
export interface StepsPerRun {
  first: number;
  next: number;
}

/** The chunk schedule's defaults (stream-decoder's first chunk and chunk sizes). */
export const DEFAULT_STEPS_PER_RUN: Readonly<StepsPerRun> = Object.freeze({ first: 10, next: 25 });

/** What one generation run needs besides the model. */
export interface GenerationRequest {
  text: EncodedText;
  voice: VoiceConditioning;
  exaggeration: number;
  /** 0 turns classifier-free guidance off (one batch row instead of two). */
  cfgWeight: number;
  sampler: SamplerParams;
  seed: number;
  maxNewTokens: number;
  /** Decode steps per run of the fused graph (ignored by the step loop); default DEFAULT_STEPS_PER_RUN. */
  stepsPerRun?: StepsPerRun;
  /** A later sentence of a request already running: never refused for capacity, which would cut it off mid-speech. */
  admitted?: boolean;
}

/** Batch rows of a request: two with CFG (cond, uncond), one without; Turbo has no CFG. */
export function rowsOf(model: Pick<ChatterboxModel, 'variant'>, request: Pick<GenerationRequest, 'cfgWeight'>): number {
  return request.cfgWeight > 0 && model.variant !== 'turbo' ? 2 : 1;
}
