import type ort from 'onnxruntime-node';
import { TtsError } from '../../protocol/errors.js';
import { runSession } from '../onnx/half-bits.js';
import { describeFeeds, emptyCacheTensor, floatData, floatTensor, int64Tensor, onesInt64Tensor, type Feeds } from '../onnx/tensors.js';
import type { ChatterboxModel } from './chatterbox-model.js';
import { combineCfgRows, maskInvalidTokens, sampleToken, type SamplerParams } from './sampler.js';
import { createRandom } from './seeded-random.js';
import { TOKENS, type EncodedText } from './text-tokenizer.js';
import type { VoiceConditioning } from './voice-bank.js';

/** What one generation run needs besides the model. */
export interface GenerationRequest {
  text: EncodedText;
  voice: VoiceConditioning;
  exaggeration: number;
  /** 0 turns classifier-free guidance off (one batch row instead of two). */
  cfgWeight: number;
  sampler: SamplerParams;
  seed: number;
  maxNewTokens: number;
}

async function run(session: ort.InferenceSession, graph: string, feeds: Feeds): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await runSession(session, feeds);
  } catch (err) {
    throw new TtsError('ENGINE_FAILED', `${graph} failed on inputs ${JSON.stringify(describeFeeds(feeds))}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Embeds ids at the given positions (English/multilingual also take the exaggeration). */
async function embed(model: ChatterboxModel, ids: number[], positions: number[], exaggeration: number): Promise<Float32Array> {
  const feeds: Feeds = { input_ids: int64Tensor(ids, [1, ids.length]) };
  if (model.embed.hasPositionIds) feeds.position_ids = int64Tensor(positions, [1, ids.length]);
  if (model.embed.hasExaggeration) feeds.exaggeration = floatTensor(Float32Array.of(exaggeration), [1]);
  const out = await run(model.sessions.embed_tokens, 'embed_tokens', feeds);
  return floatData(out.inputs_embeds!);
}

/** Prompt positions: text counts from the start-text token, speech-side tokens (6561+) sit at 0. */
function promptPositions(ids: number[]): number[] {
  let position = 0;
  return ids.map((id) => (id >= TOKENS.startSpeech ? 0 : position++));
}

/**
 * The generation loop: prefill [voice conditioning, prompt] with empty caches, then one token per
 * step, feeding `present.*` back as `past_key_values.*`. Yields speech tokens (ids below 6561) until the
 * stop token or the cap; checks `signal` before every step so a cancel ends it within one step.
 */
export async function* generateSpeechTokens(model: ChatterboxModel, request: GenerationRequest, signal: AbortSignal): AsyncGenerator<number> {
  const { lm } = model;
  const rows = request.cfgWeight > 0 && model.variant !== 'turbo' ? 2 : 1;
  const random = createRandom(request.seed);
  const ids = request.text.ids;
  const textEmbeds = await embed(model, ids, promptPositions(ids), request.exaggeration);
  const conditioning = floatData(request.voice.audioFeatures);
  const promptLength = conditioning.length / lm.hidden + ids.length;

  const prefill = new Float32Array(rows * promptLength * lm.hidden);
  for (let row = 0; row < rows; row++) {
    const offset = row * promptLength * lm.hidden;
    prefill.set(conditioning, offset);
    prefill.set(textEmbeds, offset + conditioning.length);
    if (row === 1) {
      // CFG's unconditional row: the same prompt with the text embeddings zeroed.
      const [start, end] = request.text.textRange;
      prefill.fill(0, offset + conditioning.length + start * lm.hidden, offset + conditioning.length + end * lm.hidden);
    }
  }

  let feeds: Feeds = {};
  for (let layer = 0; layer < lm.layers; layer++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = emptyCacheTensor(lm.cacheType, rows, lm.kvHeads, lm.headDim);
  }
  let input: Float32Array = prefill;
  let length = 0;
  const history: number[] = [TOKENS.startSpeech];
  const logitsRow = new Float32Array(lm.vocab);

  for (;;) {
    if (signal.aborted) return;
    const seq = input.length / (rows * lm.hidden);
    length += seq;
    feeds.inputs_embeds = floatTensor(input, [rows, seq, lm.hidden], lm.embedsType);
    feeds.attention_mask = onesInt64Tensor([rows, length]);
    if (lm.hasPositionIds) {
      const positions = Array.from({ length: rows * seq }, (_, i) => length - seq + (i % seq));
      feeds.position_ids = int64Tensor(positions, [rows, seq]);
    }
    const out = await run(model.sessions.language_model, 'language_model', feeds);

    const logits = floatData(out.logits!);
    if (rows === 2) combineCfgRows(logits, lm.vocab, request.cfgWeight, logitsRow);
    else logitsRow.set(logits.subarray(logits.length - lm.vocab));
    if (model.variant !== 'turbo') maskInvalidTokens(logitsRow, TOKENS.stopSpeech);
    const token = sampleToken(logitsRow, request.sampler, history, random);
    if (token === TOKENS.stopSpeech) return;
    history.push(token);
    if (token < TOKENS.startSpeech) yield token;
    if (history.length - 1 >= request.maxNewTokens) return;

    const next = await embed(model, [token], [history.length - 1], request.exaggeration);
    input = rows === 2 ? concatRows(next, next) : next;
    const past: Feeds = {};
    for (const [name, tensor] of Object.entries(out)) {
      if (name.startsWith('present.')) past[`past_key_values.${name.slice('present.'.length)}`] = tensor as ort.Tensor;
    }
    feeds = past;
  }
}

function concatRows(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
