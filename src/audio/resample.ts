/** Taps on each side of the windowed-sinc kernel: enough for clean speech, cheap for a few seconds of reference audio. */
const HALF_TAPS = 16;

/**
 * Resamples mono audio with a Hann-windowed sinc low-pass (cut-off at the lower Nyquist), so that
 * downsampling does not alias. Returns the input itself when the rates match.
 */
export function resample(samples: Float32Array, fromHz: number, toHz: number): Float32Array {
  if (!(fromHz > 0) || !(toHz > 0)) throw new RangeError(`sample rates must be positive, got ${fromHz} → ${toHz}`);
  if (fromHz === toHz) return samples;
  const ratio = toHz / fromHz;
  const outLength = Math.round(samples.length * ratio);
  const out = new Float32Array(outLength);
  const cutoff = Math.min(1, ratio);
  const halfWidth = HALF_TAPS / cutoff;
  for (let i = 0; i < outLength; i++) {
    const center = i / ratio;
    const first = Math.max(0, Math.ceil(center - halfWidth));
    const last = Math.min(samples.length - 1, Math.floor(center + halfWidth));
    let sum = 0;
    let weights = 0;
    for (let j = first; j <= last; j++) {
      const x = (j - center) * cutoff;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const window = 0.5 + 0.5 * Math.cos((Math.PI * (j - center)) / halfWidth);
      const w = sinc * window;
      sum += (samples[j] ?? 0) * w;
      weights += w;
    }
    out[i] = weights === 0 ? 0 : sum / weights;
  }
  return out;
}
