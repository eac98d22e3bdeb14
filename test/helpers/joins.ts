// Measures of the joins between the pieces of one request's audio: silence and sample steps at each join, against
// the same measures in the audio away from every join. Used by the join tests and the input-stream bench.
import type { Engine, SynthesisRequest } from '../../src/engine/engine.js';
import type { TextPiece } from '../../src/engine/text/split-sentences.js';
import { joinChunks, requestFor } from '../engine/contract.js';

/** Below this level a sample counts as silence (−60 dBFS). */
export const SILENCE_LEVEL = 1e-3;

/** The longest run of silent samples in [from, to). */
export function longestSilence(audio: Float32Array, from: number, to: number): number {
  let longest = 0;
  let run = 0;
  for (let i = Math.max(0, from); i < Math.min(audio.length, to); i++) {
    run = Math.abs(audio[i]!) < SILENCE_LEVEL ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** The largest |audio[i] − audio[i − 1]| for i in [from, to): a click shows as a step larger than the signal's own. */
export function largestStep(audio: Float32Array, from: number, to: number): number {
  let largest = 0;
  for (let i = Math.max(1, from); i < Math.min(audio.length, to); i++) largest = Math.max(largest, Math.abs(audio[i]! - audio[i - 1]!));
  return largest;
}

/** One join's measures, in samples and sample values. */
export interface JoinMeasure {
  /** Sample offset of the join. */
  at: number;
  /** Longest silence within `radiusSamples` of the join. */
  silenceSamples: number;
  /** Largest step within `radiusSamples` of the join. */
  step: number;
}

/** What the audio away from every join (and past its first `skipStartSamples`) looks like, for comparison. */
export interface JoinReport {
  joins: JoinMeasure[];
  /** Longest silence away from the joins. */
  insideSilenceSamples: number;
  /** Largest step away from the joins. */
  insideStep: number;
}

/** Measures each join over ±`radiusSamples`; the rest of the audio past `skipStartSamples` is the comparison. */
export function measureJoins(audio: Float32Array, joins: readonly number[], options: { radiusSamples: number; skipStartSamples: number }): JoinReport {
  const { radiusSamples, skipStartSamples } = options;
  const measured = joins.map((at) => ({
    at,
    silenceSamples: longestSilence(audio, at - radiusSamples, at + radiusSamples),
    step: largestStep(audio, at - radiusSamples, at + radiusSamples),
  }));
  let insideSilenceSamples = 0;
  let insideStep = 0;
  const bounds = [skipStartSamples, ...joins.flatMap((at) => [at - radiusSamples, at + radiusSamples]), audio.length];
  for (let i = 0; i + 1 < bounds.length; i += 2) {
    insideSilenceSamples = Math.max(insideSilenceSamples, longestSilence(audio, bounds[i]!, bounds[i + 1]!));
    insideStep = Math.max(insideStep, largestStep(audio, bounds[i]!, bounds[i + 1]!));
  }
  return { joins: measured, insideSilenceSamples, insideStep };
}

/**
 * Speaks `pieces` as a streamed request's input, one by one; returns the audio and the sample offsets at which the
 * engine asked for each next piece (it asks once the consumer took every chunk of the piece before).
 */
export async function speakPieces(
  engine: Engine,
  pieces: readonly TextPiece[],
  params: SynthesisRequest['params'],
): Promise<{ audio: Float32Array; joins: number[] }> {
  let received = 0;
  const joins: number[] = [];
  const input = {
    async *[Symbol.asyncIterator]() {
      for (const [index, piece] of pieces.entries()) {
        if (index > 0) joins.push(received);
        yield piece;
      }
    },
  };
  const request = { ...requestFor(engine, 'unused', { params }), text: '', input };
  const chunks = [];
  for await (const chunk of engine.synthesize(request, new AbortController().signal)) {
    chunks.push(chunk);
    received += chunk.pcm.length;
  }
  return { audio: joinChunks(chunks), joins };
}
