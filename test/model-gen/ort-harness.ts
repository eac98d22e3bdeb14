// Test plumbing for running generated graphs in onnxruntime-node on CPU: sessions, tensors, KV caches, and a small
// generation loop (prefill + one token per step) that mirrors the documented Chatterbox loop.
import { join } from 'node:path';

import * as ort from 'onnxruntime-node';

import { runSession } from '../../src/engine/onnx/half-bits.js';
import { START_SPEECH_TOKEN, STOP_SPEECH_TOKEN } from '../../src/model-gen/constants.js';
import { graphFileName } from '../../src/model-gen/make-model.js';
import type { GraphName, ModelDtype } from '../../src/model-gen/make-model.js';

/** Inputs of a session run by name. */
export type Feeds = Record<string, ort.Tensor>;
/** Outputs of a session run by name. */
export type Outputs = Record<string, ort.Tensor>;

/** Opens one graph of a model directory on the CPU EP. */
export function openGraph(dir: string, graph: GraphName, dtype: ModelDtype = 'fp32'): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(join(dir, 'onnx', graphFileName(graph, dtype)), { executionProviders: ['cpu'] });
}

/** Runs a session and returns its outputs as tensors. */
export async function run(session: ort.InferenceSession, feeds: Feeds): Promise<Outputs> {
  return (await runSession(session, feeds)) as Outputs;
}

/** A float32 tensor. */
export function f32(data: Float32Array | readonly number[], dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data instanceof Float32Array ? data : Float32Array.from(data), dims);
}

/** An int64 tensor. */
export function i64(values: readonly number[], dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

/** The tensor metadata of an input or output, failing if it is not a tensor. */
export function tensorMeta(session: ort.InferenceSession, name: string): ort.InferenceSession.TensorValueMetadata {
  const meta = [...session.inputMetadata, ...session.outputMetadata].find((m) => m.name === name);
  if (meta === undefined || !meta.isTensor) throw new Error(`no tensor ${name}`);
  return meta;
}

/** Empty past_key_values for every cache input, in the dtype the model declares. */
export function emptyCache(lm: ort.InferenceSession, batch: number): Feeds {
  const feeds: Feeds = {};
  for (const meta of lm.inputMetadata) {
    if (!meta.name.startsWith('past_key_values.') || !meta.isTensor) continue;
    const data = meta.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    feeds[meta.name] = new ort.Tensor(meta.type, data, [batch, Number(meta.shape[1]), 0, Number(meta.shape[3])]);
  }
  return feeds;
}

/** The next step's past_key_values from a run's present outputs. */
export function nextCache(outputs: Outputs): Feeds {
  const feeds: Feeds = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    if (name.startsWith('present.')) feeds[name.replace('present.', 'past_key_values.')] = tensor;
  }
  return feeds;
}

/**
 * Runs the LM on `embeds` [batch, seq, hidden] after `pastLength` cached tokens, with an all-ones mask; a
 * `position_ids` input, if any, gets `positions` (one row, for every batch row) or pastLength + i.
 */
export async function runLm(
  lm: ort.InferenceSession,
  embeds: Float32Array,
  shape: { batch: number; seq: number; hidden: number },
  past: Feeds,
  pastLength: number,
  positions?: readonly number[],
): Promise<Outputs> {
  const total = pastLength + shape.seq;
  const feeds: Feeds = {
    ...past,
    inputs_embeds: f32(embeds, [shape.batch, shape.seq, shape.hidden]),
    attention_mask: i64(new Array<number>(shape.batch * total).fill(1), [shape.batch, total]),
  };
  if (lm.inputNames.includes('position_ids')) {
    const row = positions ?? Array.from({ length: shape.seq }, (_, i) => pastLength + i);
    feeds.position_ids = i64(Array.from({ length: shape.batch }, () => row).flat(), [shape.batch, shape.seq]);
  }
  return run(lm, feeds);
}

/** Largest absolute element difference of two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Chooses the next token from the last position's logits (and the tokens so far). */
export type TokenPicker = (logits: Float32Array, history: readonly number[]) => number;

/** What a generation run produced. */
export interface Generation {
  tokens: number[];
  promptLength: number;
  stopped: boolean;
}

/** Embeds text ids, prefills [audio_features, text] and generates until the stop token or `maxSteps`. */
export async function generate(
  dir: string,
  variant: 'english' | 'turbo',
  textIds: readonly number[],
  pick: TokenPicker,
  maxSteps: number,
): Promise<Generation> {
  const encoder = await openGraph(dir, 'speech_encoder');
  const embed = await openGraph(dir, 'embed_tokens');
  const lm = await openGraph(dir, 'language_model');
  const voice = Float32Array.from({ length: 24000 }, (_, n) => 0.3 * Math.sin((2 * Math.PI * 140 * n) / 24000));
  const conditioning = (await run(encoder, { audio_values: f32(voice, [1, voice.length]) })).audio_features!;
  const embedIds = async (ids: readonly number[], positions: readonly number[]) => {
    const feeds: Feeds = { input_ids: i64(ids, [1, ids.length]) };
    if (variant === 'english') {
      feeds.position_ids = i64(positions, [1, ids.length]);
      feeds.exaggeration = f32([0.5], [1]);
    }
    return (await run(embed, feeds)).inputs_embeds!.data as Float32Array;
  };
  let textPosition = 0;
  const textEmbeds = await embedIds(
    textIds,
    textIds.map((id) => (id >= START_SPEECH_TOKEN ? 0 : textPosition++)),
  );
  const hidden = Number(conditioning.dims[2]);
  const prompt = new Float32Array(conditioning.data.length + textEmbeds.length);
  prompt.set(conditioning.data as Float32Array);
  prompt.set(textEmbeds, conditioning.data.length);
  const promptLength = prompt.length / hidden;

  const tokens: number[] = [];
  let outputs = await runLm(lm, prompt, { batch: 1, seq: promptLength, hidden }, emptyCache(lm, 1), 0);
  for (let step = 0; step < maxSteps; step++) {
    const logits = outputs.logits!;
    const vocab = Number(logits.dims[2]);
    const all = logits.data as Float32Array;
    const token = pick(all.subarray(all.length - vocab), [START_SPEECH_TOKEN, ...tokens]);
    if (token === STOP_SPEECH_TOKEN) return { tokens, promptLength, stopped: true };
    tokens.push(token);
    const next = await embedIds([token], [tokens.length]);
    outputs = await runLm(lm, next, { batch: 1, seq: 1, hidden }, nextCache(outputs), promptLength + tokens.length - 1);
  }
  return { tokens, promptLength, stopped: false };
}
