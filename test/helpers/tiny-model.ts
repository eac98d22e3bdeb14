// Generates tiny models once under .cache/models/<key>/ (relative to the working directory) and reuses them. Safe
// across concurrent test processes: each writes into its own temporary directory and renames it into place; the
// loser of a race discards its copy.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { makeModel, MODEL_GEN_VERSION } from '../../src/model-gen/make-model.js';
import type { AttentionKind } from '../../src/model-gen/attention.js';
import type { ModelDtype } from '../../src/model-gen/make-model.js';
import type { ModelVariant } from '../../src/model-gen/sizes.js';

/** Which tiny model a test needs. */
export interface TinyModelOptions {
  /** Default 'english'. */
  variant?: ModelVariant;
  /** English LM with a `position_ids` input (default false). */
  positionIds?: boolean;
  /** English tokenizer without the [6563, 255, …, 0, 6561, 6561] template (default false). */
  plainTokenizer?: boolean;
  /** 'fp16', 'q4' or 'q4f16' writes that variant's `*_<dtype>.onnx` graphs (see ModelDtype; default 'fp32'). */
  dtype?: ModelDtype;
  /** 'standard' builds attention from plain ONNX ops instead of GroupQueryAttention (default 'gqa'). */
  attention?: AttentionKind;
  /** Tokens of right context in the decoder's audio (default 0). */
  decoderLookahead?: number;
  /** Weights in `.onnx_data` files beside the graphs, as the real exports ship them (default false). */
  externalData?: boolean;
}

/** The cache root for generated models. */
export const MODEL_CACHE_DIR = resolve('.cache', 'models');

const pending = new Map<string, Promise<string>>();

/** The directory of a tiny model with these options, generating it on first use. */
export function ensureTinyModel(options: TinyModelOptions = {}): Promise<string> {
  const variant = options.variant ?? 'english';
  const positionIds = options.positionIds ?? false;
  const plainTokenizer = options.plainTokenizer ?? false;
  const dtype = options.dtype ?? 'fp32';
  const decoderLookahead = options.decoderLookahead ?? 0;
  const externalData = options.externalData ?? false;
  const attention = options.attention ?? 'gqa';
  const key = [
    `tiny-${variant}-${dtype}`,
    positionIds ? 'position-ids' : 'mask-positions',
    plainTokenizer ? 'plain-tokenizer' : 'template-tokenizer',
    `decoder-lookahead-${decoderLookahead}`,
    ...(externalData ? ['external-data'] : []),
    ...(attention === 'standard' ? ['standard-attention'] : []),
    `v${MODEL_GEN_VERSION}`,
  ].join('-');
  let promise = pending.get(key);
  if (promise === undefined) {
    promise = generateOnce(key, { variant, positionIds, plainTokenizer, dtype, decoderLookahead, externalData, attention });
    pending.set(key, promise);
  }
  return promise;
}

async function generateOnce(key: string, options: Required<TinyModelOptions>): Promise<string> {
  const dir = join(MODEL_CACHE_DIR, key);
  // model-gen.json is written last, so its presence means a complete directory.
  if (existsSync(join(dir, 'model-gen.json'))) return dir;
  await mkdir(MODEL_CACHE_DIR, { recursive: true });
  const temp = join(MODEL_CACHE_DIR, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    await makeModel({ size: 'tiny', outDir: temp, ...options });
    await rename(temp, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(join(dir, 'model-gen.json'))) throw err;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return dir;
}
