// An optional measurement at start-up: short concurrent generations at a few batch sizes, so the batcher knows its
// token rate per request before the first real request instead of learning it from them. Best effort: a model that
// stops early leaves a size unmeasured, and the estimate keeps learning from real runs afterwards.
import type { ChatterboxModel } from './chatterbox-model.js';
import { generateSpeechTokens } from './generate-tokens.js';
import type { GenerationRequest } from './generation-request.js';

/** Batch sizes the start-up measurement runs: 1, doubling, and the cap itself. */
export function measuredBatchSizes(maxBatch: number): number[] {
  const sizes: number[] = [];
  for (let n = 1; n < maxBatch; n *= 2) sizes.push(n);
  sizes.push(maxBatch);
  return sizes;
}

/**
 * Runs `size` copies of `request` together for each measured size in turn; the batcher records their decode runs as
 * it does real ones. Each copy is long enough to share runs with the last one to join. Never refused for capacity.
 */
export async function measureCapacity(model: ChatterboxModel, request: GenerationRequest, maxBatch: number): Promise<void> {
  const steps = request.stepsPerRun ?? { first: 10, next: 25 };
  const signal = new AbortController().signal;
  for (const size of measuredBatchSizes(maxBatch)) {
    const maxNewTokens = steps.first + steps.next * (size + 1);
    await Promise.all(
      Array.from({ length: size }, async (_, i) => {
        const copy: GenerationRequest = { ...request, seed: request.seed + i, maxNewTokens, admitted: true };
        for await (const token of generateSpeechTokens(model, copy, signal)) void token;
      }),
    );
  }
}
