/** Taps on each side of the windowed-sinc kernel at the lower rate, as in resample.ts. */
const HALF_TAPS = 16;

/** A resampler fed piece by piece: output depends only on the samples seen, never on how they were split. */
export interface StreamResampler {
  /** Takes the next input samples; returns the output samples that are now final (maybe none). */
  push(samples: Float32Array): Float32Array;
  /** Ends the input; returns the rest, so that in total round(inputSamples × toHz / fromHz) samples came out. */
  finish(): Float32Array;
}

/**
 * A streaming Hann-windowed sinc resampler from `fromHz` to `toHz`. Each output sample waits only for the input
 * within the kernel's reach after it (16 samples at the lower rate), so it adds about a millisecond of delay.
 */
export function createStreamResampler(fromHz: number, toHz: number): StreamResampler {
  if (!(fromHz > 0) || !(toHz > 0)) throw new RangeError(`sample rates must be positive, got ${fromHz} → ${toHz}`);
  const ratio = toHz / fromHz;
  const cutoff = Math.min(1, ratio);
  const halfWidth = HALF_TAPS / cutoff;
  // Input kept from index `base` on; `received` counts every input sample so far.
  let kept = new Float32Array(0);
  let base = 0;
  let received = 0;
  let produced = 0;

  const sampleAt = (center: number, last: number): number => {
    const first = Math.max(0, Math.ceil(center - halfWidth));
    const end = Math.min(last, Math.floor(center + halfWidth));
    let sum = 0;
    let weights = 0;
    for (let j = first; j <= end; j++) {
      const x = (j - center) * cutoff;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const w = sinc * (0.5 + 0.5 * Math.cos((Math.PI * (j - center)) / halfWidth));
      sum += (kept[j - base] ?? 0) * w;
      weights += w;
    }
    return weights === 0 ? 0 : sum / weights;
  };

  const drain = (upTo: number, last: number): Float32Array => {
    const count = Math.max(0, upTo - produced);
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) out[k] = sampleAt((produced + k) / ratio, last);
    produced += count;
    const keepFrom = Math.max(base, Math.floor(produced / ratio - halfWidth) - 1);
    kept = kept.subarray(keepFrom - base);
    base = keepFrom;
    return out;
  };

  return {
    push(samples) {
      if (fromHz === toHz) return samples;
      const grown = new Float32Array(kept.length + samples.length);
      grown.set(kept);
      grown.set(samples, kept.length);
      kept = grown;
      received += samples.length;
      // Output n is final once every input within the kernel's reach after it has arrived.
      const ready = Math.floor((received - 1 - halfWidth) * ratio) + 1;
      return drain(Math.min(ready, Math.round(received * ratio)), received - 1);
    },
    finish() {
      if (fromHz === toHz) return new Float32Array(0);
      return drain(Math.round(received * ratio), received - 1);
    },
  };
}
