import type ort from 'onnxruntime-node';
import { TtsError } from '../../protocol/errors.js';
import { emptyCacheTensor, floatData, floatTensor, int64Tensor, onesInt64Tensor, releaseDeviceTensors, type Feeds } from '../onnx/tensors.js';
import type { ChatterboxModel } from './chatterbox-model.js';
import { rowsOf, type GenerationRequest } from './generation-request.js';
import { embedPrompt, embedTokens, runGraph } from './prompt-embeds.js';
import { combineCfgRows, maskInvalidTokens, sampleToken } from './sampler.js';
import { createRandom } from './seeded-random.js';
import { TOKENS } from './text-tokenizer.js';

export { DEFAULT_STEPS_PER_RUN, rowsOf, type GenerationRequest, type StepsPerRun } from './generation-request.js';

/**
 * The generation loop: prefill [voice conditioning, prompt] with empty caches, then one token per step. Yields speech
 * tokens (ids below 6561) until the stop token or the cap. With a fused decode graph loaded, runs several steps per
 * ONNX run, sharing runs with the model's other requests (see fused/fused-batcher.ts); otherwise one step per run, feeding `present.*` back as
 * `past_key_values.*`, checking `signal` before every step so a cancel ends it within one step.
 */
export async function* generateSpeechTokens(model: ChatterboxModel, request: GenerationRequest, signal: AbortSignal): AsyncGenerator<number> {
  if (model.batcher) {
    yield* model.batcher.generate(request, signal);
    return;
  }
  const loaded = model.sessions.language_model;
  if (loaded === undefined) throw new TtsError('ENGINE_FAILED', 'language_model session is not loaded');
  const session: ort.InferenceSession = loaded;
  const { lm } = model;
  const rows = rowsOf(model, request);
  const random = createRandom(request.seed);
  const prompt = await embedPrompt(model, request, rows);

  let feeds: Feeds = {};
  for (let layer = 0; layer < lm.layers; layer++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = emptyCacheTensor(lm.cacheType, rows, lm.kvHeads, lm.headDim);
  }
  let input: Float32Array = prompt.data;
  let length = 0;
  const history: number[] = [TOKENS.startSpeech];
  const logitsRow = new Float32Array(lm.vocab);

  try {
    yield* stepLoop();
  } finally {
    // On WebGPU the cache stays on the GPU between steps (session-options.ts): free the last one now.
    releaseDeviceTensors(Object.values(feeds));
  }

  async function* stepLoop(): AsyncGenerator<number> {
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
      const out = await runGraph(session, 'language_model', feeds);
      releaseDeviceTensors(Object.values(feeds));
      const past: Feeds = {};
      for (const [name, tensor] of Object.entries(out)) {
        if (name.startsWith('present.')) past[`past_key_values.${name.slice('present.'.length)}`] = tensor as ort.Tensor;
      }
      feeds = past;

      const logits = floatData(out.logits!);
      if (rows === 2) combineCfgRows(logits, lm.vocab, request.cfgWeight, logitsRow);
      else logitsRow.set(logits.subarray(logits.length - lm.vocab));
      if (model.variant !== 'turbo') maskInvalidTokens(logitsRow, TOKENS.stopSpeech);
      const token = sampleToken(logitsRow, request.sampler, history, random);
      if (token === TOKENS.stopSpeech) return;
      history.push(token);
      if (token < TOKENS.startSpeech) yield token;
      if (history.length - 1 >= request.maxNewTokens) return;

      const next = await embedTokens(model, [token], [history.length - 1], request.exaggeration);
      input = rows === 2 ? concatRows(next, next) : next;
    }
  }
}

function concatRows(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
