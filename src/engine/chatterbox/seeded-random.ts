import { getRandomValues } from 'node:crypto';

const UINT32_RANGE = 4294967296;

/** True when `value` can seed `createRandom`: an integer in [0, 2^32 - 1]. */
export function isRandomSeed(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < UINT32_RANGE;
}

/**
 * A reproducible generator of numbers in [0, 1) (xoshiro128**, state filled by splitmix32 from `seed`): the same seed
 * gives the same sequence on every platform. Throws RangeError unless `seed` is an integer in [0, 2^32 - 1].
 */
export function createRandom(seed: number): () => number {
  if (!isRandomSeed(seed)) throw new RangeError(`random seed must be an integer in [0, 2^32 - 1], got ${seed}`);
  // splitmix32 spreads neighbouring seeds (0, 1, 2 …) over unrelated xoshiro states.
  let mix = seed | 0;
  const nextMixed = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return z ^ (z >>> 16);
  };
  let s0 = nextMixed();
  let s1 = nextMixed();
  let s2 = nextMixed();
  let s3 = nextMixed();
  // xoshiro never leaves the all-zero state; splitmix32 cannot produce it for four steps, but be certain.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  return () => {
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const shifted = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= shifted;
    s3 = (s3 << 11) | (s3 >>> 21);
    return result / UINT32_RANGE;
  };
}

/** A fresh seed from the OS entropy source, in [1, 2^32 - 1]: never 0, which the `seed` param reserves for "random". */
export function createRandomSeed(): number {
  const word = new Uint32Array(1);
  do getRandomValues(word);
  while (word[0] === 0);
  return word[0]!;
}
