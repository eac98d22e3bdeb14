// Command-line arguments of make-model, parsed and validated into MakeModelOptions.
import { parseArgs } from 'node:util';

import { MAX_DECODER_LOOKAHEAD_TOKENS } from './conditional-decoder.js';
import type { MakeModelOptions } from './make-model.js';

/** Usage text printed with argument errors. */
export const USAGE = `usage: make-model --out DIR [--size tiny|full] [--variant english|turbo] [--dtype fp32|fp16|q4|q4f16]
                  [--seed N] [--attention gqa|standard] [--position-ids] [--plain-tokenizer]
                  [--external-data | --inline-data] [--stop-bias-start N] [--decoder-lookahead 0..8]`;

/** Parses command-line arguments into makeModel options; throws an Error naming every problem. */
export function parseMakeModelArgs(argv: string[]): MakeModelOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      size: { type: 'string', default: 'tiny' },
      variant: { type: 'string', default: 'english' },
      out: { type: 'string' },
      seed: { type: 'string' },
      dtype: { type: 'string', default: 'fp32' },
      attention: { type: 'string', default: 'gqa' },
      'position-ids': { type: 'boolean', default: false },
      'plain-tokenizer': { type: 'boolean', default: false },
      'external-data': { type: 'boolean' },
      'inline-data': { type: 'boolean' },
      'stop-bias-start': { type: 'string' },
      'decoder-lookahead': { type: 'string' },
    },
  });
  const problems: string[] = [];
  const oneOf = <T extends string>(name: string, value: string, allowed: readonly T[]): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      problems.push(`--${name} must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
  const integer = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) problems.push(`--${name} must be a non-negative integer`);
    return Number(value);
  };
  const options: MakeModelOptions = {
    size: oneOf('size', values.size, ['tiny', 'full'] as const),
    variant: oneOf('variant', values.variant, ['english', 'turbo'] as const),
    outDir: values.out ?? '',
    dtype: oneOf('dtype', values.dtype, ['fp32', 'fp16', 'q4', 'q4f16'] as const),
    attention: oneOf('attention', values.attention, ['gqa', 'standard'] as const),
    positionIds: values['position-ids'],
    plainTokenizer: values['plain-tokenizer'],
  };
  if (values.out === undefined) problems.push('--out is required');
  if (values['external-data'] && values['inline-data']) {
    problems.push('--external-data and --inline-data exclude each other');
  }
  if (values['external-data'] || values['inline-data']) options.externalData = values['external-data'] === true;
  const seed = integer('seed', values.seed);
  if (seed !== undefined) options.seed = seed;
  const stopBiasStart = integer('stop-bias-start', values['stop-bias-start']);
  if (stopBiasStart !== undefined) options.stopBiasStart = stopBiasStart;
  const decoderLookahead = integer('decoder-lookahead', values['decoder-lookahead']);
  if (decoderLookahead !== undefined && decoderLookahead > MAX_DECODER_LOOKAHEAD_TOKENS) {
    problems.push(`--decoder-lookahead must be at most ${MAX_DECODER_LOOKAHEAD_TOKENS}`);
  }
  if (decoderLookahead !== undefined) options.decoderLookahead = decoderLookahead;
  if (problems.length > 0) throw new Error(`${problems.join('; ')}\n${USAGE}`);
  return options;
}
