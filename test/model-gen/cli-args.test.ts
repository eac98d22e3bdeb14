import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { parseMakeModelArgs } from '../../src/model-gen/cli-args.js';
import type { MakeModelOptions } from '../../src/model-gen/make-model.js';

const DEFAULTS = {
  size: 'tiny',
  variant: 'english',
  dtype: 'fp32',
  attention: 'gqa',
  positionIds: false,
  plainTokenizer: false,
} as const;

describe('parseMakeModelArgs', () => {
  const valid: Array<[string, MakeModelOptions]> = [
    ['--out m', { ...DEFAULTS, outDir: 'm' }],
    [
      '--size full --variant turbo --out /tmp/x --dtype fp16 --seed 7 --inline-data',
      { ...DEFAULTS, size: 'full', variant: 'turbo', outDir: '/tmp/x', dtype: 'fp16', externalData: false, seed: 7 },
    ],
    [
      '--out m --position-ids --plain-tokenizer --attention standard --external-data --stop-bias-start 40',
      {
        ...DEFAULTS,
        outDir: 'm',
        attention: 'standard',
        positionIds: true,
        plainTokenizer: true,
        externalData: true,
        stopBiasStart: 40,
      },
    ],
    ['--out m --decoder-lookahead 3', { ...DEFAULTS, outDir: 'm', decoderLookahead: 3 }],
  ];
  for (const [args, expected] of valid) {
    test(args, () => assert.deepEqual(parseMakeModelArgs(args.split(' ')), expected));
  }

  const invalid: Array<[string, RegExp]> = [
    ['--size huge --out m', /--size must be one of tiny, full/],
    ['--variant multilingual --dtype q8', /--variant must be one of english, turbo; --dtype must be one of fp32, fp16, q4, q4f16/],
    ['--size tiny', /--out is required/],
    ['--out m --seed 1.5', /--seed must be a non-negative integer/],
    ['--out m --external-data --inline-data', /exclude each other/],
    ['--out m --decoder-lookahead 9', /--decoder-lookahead must be at most 8/],
    ['--out m --decoder-lookahead two', /--decoder-lookahead must be a non-negative integer/],
  ];
  for (const [args, message] of invalid) {
    test(`rejects ${args}`, () => assert.throws(() => parseMakeModelArgs(args.split(' ')), message));
  }

  test('rejects unknown flags', () => assert.throws(() => parseMakeModelArgs(['--out', 'm', '--colour'])));
});
