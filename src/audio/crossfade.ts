/**
 * Blends the end of one decode into the start of the next over `tail.length` samples with complementary
 * raised-cosine weights that sum to 1: the two sides are decodes of the same tokens, so they are
 * correlated, and weights summing to 1 keep the level (equal-power curves would bump it by up to 3 dB).
 */
export function crossfade(tail: Float32Array, head: Float32Array): Float32Array {
  if (tail.length !== head.length) throw new RangeError(`crossfade needs equal lengths, got ${tail.length} and ${head.length}`);
  const out = new Float32Array(tail.length);
  for (let i = 0; i < tail.length; i++) {
    const fadeIn = 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / tail.length);
    out[i] = (tail[i] ?? 0) * (1 - fadeIn) + (head[i] ?? 0) * fadeIn;
  }
  return out;
}
