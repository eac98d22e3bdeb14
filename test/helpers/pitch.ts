/** Search range of `fundamentalHz`, in Hz: below and above any speaking voice. */
const PITCH_RANGE_HZ = { min: 60, max: 500 };

/**
 * The fundamental of `samples[from, from + length)` by normalized autocorrelation: the shortest lag whose correlation
 * is within 5% of the best (so the period wins over its multiples), refined between lags by a parabola.
 * Returns the frequency in Hz and how periodic the stretch is (correlation 0..1: above ~0.8 is voiced).
 */
export function fundamentalHz(samples: Float32Array, sampleRateHz: number, from: number, length: number): { hz: number; periodicity: number } {
  const minLag = Math.floor(sampleRateHz / PITCH_RANGE_HZ.max);
  const maxLag = Math.ceil(sampleRateHz / PITCH_RANGE_HZ.min);
  if (from < 0 || from + length + maxLag + 1 > samples.length) throw new RangeError('fundamentalHz: window runs past the samples');
  const correlations = new Float64Array(maxLag + 2);
  let best = 0;
  for (let lag = minLag - 1; lag <= maxLag + 1; lag++) {
    let dot = 0;
    let head = 0;
    let tail = 0;
    for (let i = from; i < from + length; i++) {
      const a = samples[i]!;
      const b = samples[i + lag]!;
      dot += a * b;
      head += a * a;
      tail += b * b;
    }
    correlations[lag] = dot / Math.sqrt(head * tail + 1e-12);
    if (lag >= minLag && lag <= maxLag) best = Math.max(best, correlations[lag]!);
  }
  for (let lag = minLag; lag <= maxLag; lag++) {
    const [before, here, after] = [correlations[lag - 1]!, correlations[lag]!, correlations[lag + 1]!];
    if (here < 0.95 * best || here < before || here < after) continue;
    const curvature = before - 2 * here + after;
    const shift = curvature === 0 ? 0 : (0.5 * (before - after)) / curvature;
    return { hz: sampleRateHz / (lag + shift), periodicity: here };
  }
  return { hz: 0, periodicity: 0 };
}

/** The median of numbers (NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
