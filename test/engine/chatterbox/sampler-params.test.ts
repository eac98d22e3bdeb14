import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { chatterboxParamInfo, parseGenerationConfig, toSamplerParams, type ChatterboxVariant } from '../../../src/engine/chatterbox/sampler-params.js';

const defaultsOf = (variant: ChatterboxVariant): Record<string, number> =>
  Object.fromEntries(Object.entries(chatterboxParamInfo(variant)).map(([name, info]) => [name, info.default]));

describe('chatterboxParamInfo', () => {
  const english = {
    exaggeration: 0.5,
    cfg_weight: 0.5,
    temperature: 0.8,
    top_p: 1,
    min_p: 0.05,
    top_k: 0,
    repetition_penalty: 1.2,
    seed: 0,
    max_new_tokens: 1000,
  };
  const turbo = {
    temperature: 0.8,
    top_p: 0.95,
    min_p: 0,
    top_k: 1000,
    repetition_penalty: 1.2,
    seed: 0,
    max_new_tokens: 1000,
  };
  const cases: [ChatterboxVariant, Record<string, number>][] = [
    ['english', english],
    ['multilingual', english],
    ['turbo', turbo],
  ];
  for (const [variant, expected] of cases) {
    it(`${variant} defaults`, () => assert.deepEqual(defaultsOf(variant), expected));
  }

  it('declares the ranges and which params are whole numbers', () => {
    const info = chatterboxParamInfo('english');
    assert.deepEqual(info['exaggeration'], { min: 0.25, max: 2, default: 0.5 });
    assert.deepEqual(info['top_k'], { min: 0, max: 8194, default: 0, integer: true });
    assert.deepEqual(info['seed'], { min: 0, max: 4294967295, default: 0, integer: true });
    assert.deepEqual(info['max_new_tokens'], { min: 1, max: 2000, default: 1000, integer: true });
    assert.equal(info['temperature']!.integer, undefined);
  });

  it('applies overrides to defaults only, and Turbo ignores CFG and exaggeration overrides', () => {
    const overrides = { temperature: 0.6, top_k: 50, cfg_weight: 0.3 };
    assert.deepEqual(chatterboxParamInfo('english', overrides)['temperature'], { min: 0, max: 5, default: 0.6 });
    assert.equal(chatterboxParamInfo('english', overrides)['cfg_weight']!.default, 0.3);
    assert.equal(chatterboxParamInfo('turbo', overrides)['top_k']!.default, 50);
    assert.equal(chatterboxParamInfo('turbo', overrides)['cfg_weight'], undefined);
    assert.equal(chatterboxParamInfo('turbo', { top_p: 1 })['top_p']!.default, 1);
  });

  it('does not share mutable state between calls', () => {
    chatterboxParamInfo('english')['temperature']!.default = 3;
    assert.equal(chatterboxParamInfo('english')['temperature']!.default, 0.8);
  });

  it('throws on an out-of-range override', () => {
    assert.throws(() => chatterboxParamInfo('english', { temperature: 9 }), RangeError);
    assert.throws(() => chatterboxParamInfo('turbo', { top_k: 2.5 }), RangeError);
  });
});

describe('parseGenerationConfig', () => {
  it('reads every known field that is present', () => {
    const json = {
      temperature: 0.7,
      top_p: 0.9,
      top_k: 40,
      min_p: 0.1,
      repetition_penalty: 1.3,
      max_new_tokens: 1500,
      cfg_weight: 0.4,
      exaggeration: 0.6,
    };
    assert.deepEqual(parseGenerationConfig(json), { overrides: json, ignored: [] });
  });

  it('ignores stop ids, unknown fields and nulls without complaint', () => {
    const json = { eos_token_id: 6562, stop_speech_token: 1, do_sample: true, top_k: null, temperature: 1 };
    assert.deepEqual(parseGenerationConfig(json), { overrides: { temperature: 1 }, ignored: [] });
  });

  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ['out of range', { temperature: 7 }, 'temperature', /outside \[0, 5\]/],
    ['below range', { repetition_penalty: 0.9 }, 'repetition_penalty', /outside \[1, 2\]/],
    ['fractional integer', { top_k: 2.5 }, 'top_k', /whole number/],
    ['too many tokens', { max_new_tokens: 4096 }, 'max_new_tokens', /outside \[1, 2000\]/],
    ['a string', { top_p: '0.9' }, 'top_p', /string/],
  ];
  for (const [name, json, field, reason] of bad) {
    it(`ignores a value ${name}, with a reason`, () => {
      const parsed = parseGenerationConfig({ ...json, min_p: 0.02 });
      assert.deepEqual(parsed.overrides, { min_p: 0.02 });
      assert.equal(parsed.ignored.length, 1);
      assert.equal(parsed.ignored[0]!.field, field);
      assert.match(parsed.ignored[0]!.reason, reason);
    });
  }

  for (const json of [null, 3, 'x', [1, 2]]) {
    it(`reports a root that is not an object (${JSON.stringify(json)})`, () => {
      const parsed = parseGenerationConfig(json);
      assert.deepEqual(parsed.overrides, {});
      assert.equal(parsed.ignored.length, 1);
    });
  }

  it('feeds chatterboxParamInfo', () => {
    const { overrides } = parseGenerationConfig({ top_p: 0.8, temperature: 99 });
    const info = chatterboxParamInfo('multilingual', overrides);
    assert.equal(info['top_p']!.default, 0.8);
    assert.equal(info['temperature']!.default, 0.8);
  });
});

describe('toSamplerParams', () => {
  it('maps API names to sampler fields', () => {
    const params = { ...defaultsOf('english'), top_k: 30, top_p: 0.9 };
    assert.deepEqual(toSamplerParams(params), {
      temperature: 0.8,
      topK: 30,
      topP: 0.9,
      minP: 0.05,
      repetitionPenalty: 1.2,
      cfgWeight: 0.5,
    });
  });

  it('turns off the stages a variant lacks', () => {
    assert.equal(toSamplerParams(defaultsOf('turbo')).cfgWeight, 0);
    const off = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, cfgWeight: 0 };
    assert.deepEqual(toSamplerParams({}), off);
  });
});
