import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  NEUTRAL_SAMPLER_PARAMS,
  applyCfg,
  applyMinP,
  applyRepetitionPenalty,
  applyTemperature,
  applyTopK,
  applyTopP,
  argmax,
  combineCfgRows,
  maskInvalidTokens,
  sampleToken,
  softmax,
  type SamplerParams,
} from '../../../src/engine/chatterbox/sampler.js';
import { createRandom } from '../../../src/engine/chatterbox/seeded-random.js';

const NEG = Number.NEGATIVE_INFINITY;
const logOf = (probs: number[]): Float32Array => Float32Array.from(probs, Math.log);

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e || Math.abs(a - e) <= tolerance) continue;
    assert.fail(`index ${i}: got ${a}, expected ${e} (all: ${Array.from(actual).join(', ')})`);
  }
}

/** Which ids a stage kept (finite logits). */
function kept(logits: Float32Array): number[] {
  return Array.from(logits.keys()).filter((i) => logits[i]! > NEG);
}

function gaussianLogits(width: number, seed: number, scale: number): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: width }, () => {
    const u = 1 - random();
    return scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  });
}

/** The distribution the stage functions give, in the documented order. */
function stagedDistribution(base: Float32Array, params: SamplerParams, history: number[]): Float32Array {
  const logits = applyRepetitionPenalty(base.slice(), history, params.repetitionPenalty);
  applyTemperature(logits, params.temperature);
  applyMinP(logits, params.minP);
  applyTopK(logits, params.topK);
  applyTopP(logits, params.topP);
  return softmax(logits);
}

/** How often each id came out of `draws` calls of sampleToken, with `createRandom(seed)`. */
function drawFrequencies(base: Float32Array, params: SamplerParams, history: number[], seed: number, draws: number): Float64Array {
  const random = createRandom(seed);
  const logits = new Float32Array(base.length);
  const counts = new Float64Array(base.length);
  for (let i = 0; i < draws; i++) {
    logits.set(base);
    counts[sampleToken(logits, params, history, random)]! += 1;
  }
  return counts.map((count) => count / draws);
}

const noRandom = (): number => {
  throw new Error('random() must not be called');
};

describe('softmax', () => {
  const cases: [string, number[], number[]][] = [
    ['[0, ln2, ln4]', [0, Math.LN2, Math.log(4)], [1 / 7, 2 / 7, 4 / 7]],
    ['equal logits', [3, 3, 3, 3], [0.25, 0.25, 0.25, 0.25]],
    ['-Infinity becomes 0', [NEG, 0, NEG, 0], [0, 0.5, 0, 0.5]],
    ['large logits stay finite', [1000, 1001], [1 / (1 + Math.E), Math.E / (1 + Math.E)]],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assertClose(softmax(Float32Array.from(input)), expected));
  }
  it('throws on NaN and when nothing is finite', () => {
    assert.throws(() => softmax(Float32Array.from([0, Number.NaN])), RangeError);
    assert.throws(() => softmax(Float32Array.from([NEG, NEG])), RangeError);
  });
});

describe('CFG', () => {
  it('computes cond + w·(cond − uncond) in place', () => {
    const cond = Float32Array.from([1, 2, 3]);
    assert.equal(applyCfg(cond, Float32Array.from([0, 2, 5]), 0.5), cond);
    assertClose(cond, [1.5, 2, 2]);
    assertClose(applyCfg(Float32Array.from([1, 2]), Float32Array.from([7, 7]), 0), [1, 2]);
    assert.throws(() => applyCfg(new Float32Array(2), new Float32Array(3), 0.5), RangeError);
  });

  it('combineCfgRows takes the last position of both batch rows and leaves the model output alone', () => {
    // [2, S=2, V=3]: the first position of each batch row must be ignored.
    const output = Float32Array.from([9, 9, 9, 1, 2, 3, 8, 8, 8, 0, 2, 5]);
    assertClose(combineCfgRows(output, 3, 0.5), [1.5, 2, 2]);
    assertClose(output, [9, 9, 9, 1, 2, 3, 8, 8, 8, 0, 2, 5]);
    const out = new Float32Array(3);
    assert.equal(combineCfgRows(output, 3, 1, out), out);
    assertClose(out, [2, 2, 1]);
    assert.throws(() => combineCfgRows(new Float32Array(9), 3, 0.5), RangeError);
    assert.throws(() => combineCfgRows(output, 3, 0.5, new Float32Array(4)), RangeError);
  });
});

describe('applyRepetitionPenalty', () => {
  const cases: [string, number[], number[], number, number[]][] = [
    ['divides positive, multiplies negative', [2, -2, 0.5, 1], [0, 1], 2, [1, -4, 0.5, 1]],
    ['repeated ids count once', [2, -2, 0.5, 1], [0, 0, 1, 0, 1], 2, [1, -4, 0.5, 1]],
    ['zero stays zero', [0, 1], [0], 1.2, [0, 1]],
    ['penalty 1 is off', [2, -2], [0, 1], 1, [2, -2]],
    ['no history', [2, -2], [], 2, [2, -2]],
    ['penalty below 1 boosts', [2, -2], [0, 1], 0.5, [4, -1]],
  ];
  for (const [name, input, history, penalty, expected] of cases) {
    it(name, () => assertClose(applyRepetitionPenalty(Float32Array.from(input), history, penalty), expected));
  }

  it('rejects bad ids and penalties, and a rejected call does not spoil the next one', () => {
    assert.throws(() => applyRepetitionPenalty(new Float32Array(4), [1, 4], 2), RangeError);
    assert.throws(() => applyRepetitionPenalty(new Float32Array(4), [1, 0.5], 2), RangeError);
    assert.throws(() => applyRepetitionPenalty(new Float32Array(4), [1], 0), RangeError);
    assertClose(applyRepetitionPenalty(Float32Array.from([2, 2, 2, 2]), [1], 2), [2, 1, 2, 2]);
  });
});

describe('applyTemperature', () => {
  it('divides by the temperature', () => {
    assertClose(applyTemperature(Float32Array.from([1, -2, 4, NEG]), 2), [0.5, -1, 2, NEG]);
    assertClose(applyTemperature(Float32Array.from([1, -2]), 0.5), [2, -4]);
  });
  it('rejects 0 and negatives (greedy belongs to sampleToken)', () => {
    assert.throws(() => applyTemperature(new Float32Array(2), 0), RangeError);
    assert.throws(() => applyTemperature(new Float32Array(2), -1), RangeError);
  });
});

describe('applyMinP', () => {
  const probs = [0.5, 0.3, 0.1, 0.04, 0.06];
  const cases: [number, number[]][] = [
    [0, [0, 1, 2, 3, 4]],
    [0.1, [0, 1, 2, 4]], // threshold 0.05: drops 0.04 only
    [0.25, [0, 1]], // threshold 0.125
    [1, [0]],
  ];
  for (const [minP, expected] of cases) {
    it(`min_p ${minP} keeps ${expected.join(',')}`, () => {
      assert.deepEqual(kept(applyMinP(logOf(probs), minP)), expected);
    });
  }
  it('keeps every token tied with the top at min_p 1, and rejects values outside [0, 1]', () => {
    assert.deepEqual(kept(applyMinP(Float32Array.from([1, 3, 3, NEG]), 1)), [1, 2]);
    assert.throws(() => applyMinP(new Float32Array(2), 1.5), RangeError);
  });
});

describe('applyTopK', () => {
  const cases: [number[], number, number[]][] = [
    [[1, 5, 3, 4, 2], 2, [1, 3]],
    [[1, 5, 3, 4, 2], 1, [1]],
    [[1, 5, 3, 5, 2], 2, [1, 3]],
    [[4, 3, 3, 0], 2, [0, 1, 2]], // ties with the k-th stay (HF compares against the k-th value)
    [[1, 5, 3], 0, [0, 1, 2]],
    [[1, 5, 3], 3, [0, 1, 2]],
    [[NEG, 1, 2], 5, [1, 2]],
    [[NEG, 1, 2, NEG], 1, [2]],
    [[-2, 7, 7, 7, 1], 2, [1, 2, 3]],
  ];
  for (const [input, k, expected] of cases) {
    it(`top_k ${k} of [${input.join(', ')}] keeps ${expected.join(',')}`, () => {
      assert.deepEqual(kept(applyTopK(Float32Array.from(input), k)), expected);
    });
  }

  it('matches a full sort on random arrays, with and without ties', () => {
    const random = createRandom(99);
    for (let round = 0; round < 300; round++) {
      const width = 1 + Math.floor(random() * (round % 2 === 0 ? 60 : 9000));
      const spread = round % 3 === 0 ? 8 : 1e6;
      const input = Float32Array.from({ length: width }, () => Math.floor(random() * spread) / 64 - 4);
      const k = 1 + Math.floor(random() * width);
      const kth = Array.from(input).sort((a, b) => b - a)[k - 1]!;
      const expected = Array.from(input.keys()).filter((i) => input[i]! >= kth);
      assert.deepEqual(kept(applyTopK(input.slice(), k)), expected, `k=${k} of [${input.join(',')}]`);
    }
  });

  it('rejects negative and fractional k', () => {
    assert.throws(() => applyTopK(new Float32Array(2), -1), RangeError);
    assert.throws(() => applyTopK(new Float32Array(2), 1.5), RangeError);
  });
});

describe('applyTopP', () => {
  const cases: [string, number[], number, number[]][] = [
    ['1 is off', [0.5, 0.25, 0.15, 0.1], 1, [0, 1, 2, 3]],
    ['stops at the first token that reaches p', [0.5, 0.25, 0.15, 0.1], 0.7, [0, 1]],
    ['includes the token that crosses p', [0.5, 0.25, 0.15, 0.1], 0.8, [0, 1, 2]],
    ['order of ids does not matter', [0.1, 0.25, 0.5, 0.15], 0.7, [1, 2]],
    ['always keeps the top token', [0.5, 0.25, 0.15, 0.1], 0.1, [0]],
    ['p 0 keeps only the top token', [0.5, 0.25, 0.15, 0.1], 0, [0]],
    ['keeps tokens tied with the last kept', [0.4, 0.2, 0.2, 0.1, 0.1], 0.5, [0, 1, 2]],
    ['keeps tokens tied with the top at p 0', [0.4, 0.4, 0.2], 0, [0, 1]],
  ];
  for (const [name, probs, topP, expected] of cases) {
    it(name, () => assert.deepEqual(kept(applyTopP(logOf(probs), topP)), expected));
  }
  it('ignores tokens already masked', () => {
    const logits = logOf([0.4, 0.2, 0.2, 0.2]);
    logits[0] = NEG; // the rest renormalise to thirds: two of them reach 0.6
    assert.deepEqual(kept(applyTopP(logits, 0.6)), [1, 2, 3]);
    assert.deepEqual(kept(applyTopP(logOf([0.5, 0.3, 0.2]), 0.75)), [0, 1]);
  });
  it('matches a sort-and-walk reference on random arrays with many ties', () => {
    const random = createRandom(17);
    for (let round = 0; round < 300; round++) {
      const width = 1 + Math.floor(random() * 80);
      const input = Float32Array.from({ length: width }, () => (random() < 0.1 ? NEG : Math.floor(random() * 6) - 3));
      input[0] = 0; // at least one finite logit
      const topP = random();
      const probs = softmax(input.slice());
      const order = Array.from(input.keys()).sort((a, b) => input[b]! - input[a]!);
      let cumulative = 0;
      let rank = 0;
      while ((cumulative += probs[order[rank]!]!) < topP) rank++;
      const threshold = input[order[rank]!]!;
      const expected = Array.from(input.keys()).filter((i) => input[i]! >= threshold);
      assert.deepEqual(kept(applyTopP(input.slice(), topP)), expected, `top_p ${topP} of [${input.join(',')}]`);
    }
  });
  it('rejects values outside [0, 1]', () => assert.throws(() => applyTopP(new Float32Array(2), -0.1), RangeError));
});

describe('maskInvalidTokens and argmax', () => {
  it('masks every id above maxValidId', () => {
    assertClose(maskInvalidTokens(Float32Array.from([1, 2, 3, 4, 5]), 2), [1, 2, 3, NEG, NEG]);
    assertClose(maskInvalidTokens(Float32Array.from([1, 2]), 6562), [1, 2]);
  });
  it('argmax takes the first of ties and throws when nothing is finite or on NaN', () => {
    assert.equal(argmax(Float32Array.from([1, 3, 3, 2])), 1);
    assert.equal(argmax(Float32Array.from([NEG, -5, NEG])), 1);
    assert.throws(() => argmax(Float32Array.from([NEG, NEG])), RangeError);
    assert.throws(() => argmax(Float32Array.from([1, Number.NaN])), RangeError);
  });
});

describe('sampleToken', () => {
  it('temperature 0 is argmax after the repetition penalty and draws no random number', () => {
    const greedy = { ...NEUTRAL_SAMPLER_PARAMS, temperature: 0, repetitionPenalty: 1.2 };
    assert.equal(sampleToken(Float32Array.from([2, 1.9, 0]), greedy, [], noRandom), 0);
    assert.equal(sampleToken(Float32Array.from([2, 1.9, 0]), greedy, [0, 0], noRandom), 1); // 2 / 1.2 < 1.9
    assert.equal(sampleToken(Float32Array.from([-1, -1.1]), greedy, [0], noRandom), 1); // -1 · 1.2 < -1.1
  });

  it('draws in proportion to softmax(logits)', () => {
    const freq = drawFrequencies(logOf([0.1, 0.2, 0.3, 0.4]), NEUTRAL_SAMPLER_PARAMS, [], 1, 40_000);
    assertClose(freq, [0.1, 0.2, 0.3, 0.4], 0.01);
  });

  it('scales by temperature: [0, ln4] at T=2 draws 1/3 : 2/3', () => {
    const params = { ...NEUTRAL_SAMPLER_PARAMS, temperature: 2 };
    assertClose(drawFrequencies(Float32Array.from([0, Math.log(4)]), params, [], 2, 40_000), [1 / 3, 2 / 3], 0.01);
  });

  it('top_p keeps tokens tied with the last kept one, whatever their ids', () => {
    const params = { ...NEUTRAL_SAMPLER_PARAMS, topP: 0.5 };
    const freq = drawFrequencies(logOf([0.1, 0.2, 0.4, 0.1, 0.2]), params, [], 6, 40_000);
    assertClose(freq, [0, 0.25, 0.5, 0, 0.25], 0.01);
  });

  const combos: [string, SamplerParams][] = [
    ['English defaults', { temperature: 0.8, topK: 0, topP: 1, minP: 0.05, repetitionPenalty: 1.2, cfgWeight: 0.5 }],
    ['Turbo defaults (top_k 10 here)', { temperature: 0.8, topK: 10, topP: 0.95, minP: 0, repetitionPenalty: 1.2, cfgWeight: 0 }],
    ['every stage on', { temperature: 0.7, topK: 12, topP: 0.9, minP: 0.02, repetitionPenalty: 1.3, cfgWeight: 0 }],
    ['top_p only', { ...NEUTRAL_SAMPLER_PARAMS, topP: 0.6 }],
  ];
  for (const [name, params] of combos) {
    it(`${name}: draws follow the stage functions' distribution`, () => {
      const base = gaussianLogits(40, 5, 2);
      const history = [3, 3, 7, 12, 30];
      const expected = stagedDistribution(base, params, history);
      const freq = drawFrequencies(base, params, history, 3, 50_000);
      assertClose(freq, expected, 0.01);
      for (let i = 0; i < expected.length; i++) {
        if (expected[i] === 0) assert.equal(freq[i], 0, `id ${i} was filtered out but drawn`);
      }
    });
  }

  it('Turbo defaults on a full 6563-wide row draw only from the staged support', () => {
    const base = gaussianLogits(6563, 21, 3);
    const params = { temperature: 0.8, topK: 1000, topP: 0.95, minP: 0, repetitionPenalty: 1.2, cfgWeight: 0 };
    const history = [6561, 17, 17, 400];
    const expected = stagedDistribution(base, params, history);
    const freq = drawFrequencies(base, params, history, 9, 3000);
    for (let i = 0; i < base.length; i++) {
      if (expected[i] === 0) assert.equal(freq[i], 0, `id ${i} was filtered out but drawn`);
    }
    assertClose(freq, expected, 0.02);
  });

  it('min_p holds when the largest logits come last (ascending order)', () => {
    const base = Float32Array.from({ length: 2000 }, (_, i) => i / 100);
    const params = { ...NEUTRAL_SAMPLER_PARAMS, temperature: 0.5, minP: 0.1 };
    const expected = stagedDistribution(base, params, []);
    const freq = drawFrequencies(base, params, [], 8, 20_000);
    for (let i = 0; i < base.length; i++) {
      if (expected[i] === 0) assert.equal(freq[i], 0, `id ${i} is below min_p but was drawn`);
    }
    assertClose(freq, expected, 0.01);
  });

  it('the same seed gives the same tokens; another seed gives others', () => {
    const base = gaussianLogits(8194, 11, 1);
    const params = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1.2, cfgWeight: 0 };
    const run = (seed: number): number[] => {
      const random = createRandom(seed);
      const history = [6561];
      for (let step = 0; step < 50; step++) history.push(sampleToken(base.slice(), params, history, random));
      return history;
    };
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
  });

  it('never draws masked ids, even when they had the largest logits', () => {
    const base = gaussianLogits(8194, 13, 1);
    base.fill(50, 6563);
    base[100] = NEG;
    maskInvalidTokens(base, 6562);
    const random = createRandom(4);
    const params = { ...NEUTRAL_SAMPLER_PARAMS, temperature: 5, topK: 8194 };
    const drawn = new Set<number>();
    for (let i = 0; i < 2000; i++) drawn.add(sampleToken(base.slice(), params, [], random));
    assert.ok(drawn.size > 1000, 'a flat distribution should spread widely');
    for (const id of drawn) assert.ok(id <= 6562 && id !== 100, `masked id ${id} drawn`);
  });

  it('rejects bad params and broken logits', () => {
    const bad: Partial<SamplerParams>[] = [{ temperature: -1 }, { topK: 1.5 }, { topP: 2 }, { minP: -0.1 }, { repetitionPenalty: 0 }];
    const random = createRandom(1);
    for (const patch of bad) {
      const params = { ...NEUTRAL_SAMPLER_PARAMS, ...patch };
      assert.throws(() => sampleToken(new Float32Array(4), params, [0], random), RangeError, JSON.stringify(patch));
    }
    const neutral = NEUTRAL_SAMPLER_PARAMS;
    assert.throws(() => sampleToken(Float32Array.from([0, Number.NaN]), neutral, [], random), RangeError);
    assert.throws(() => sampleToken(Float32Array.from([NEG, NEG]), neutral, [], random), RangeError);
  });
});
