// Seeded, order-independent random weights: every tensor draws from its own stream keyed by (seed, name), so adding
// or reordering tensors never changes the others and a model is reproducible from its seed alone.

/** A 32-bit hash of `name` mixed with `seed` (FNV-1a, then a murmur3 finaliser). */
export function hashSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** A mulberry32 generator of floats in [0, 1), deterministic in `seed`. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `length` floats uniform in [mean − std·√3, mean + std·√3) (standard deviation `std`) from the (seed, name)
 * stream. Uniform rather than normal because full-size weights are ~500 M values and this loop is the cost.
 */
export function randomTensor(seed: number, name: string, length: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(length);
  const scale = (2 * Math.sqrt(3) * std) / 4294967296;
  const offset = mean - Math.sqrt(3) * std;
  let state = hashSeed(seed, name);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) * scale + offset;
  }
  return out;
}
