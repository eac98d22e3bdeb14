// One request on the fused decode graph: the prompt and up to K decode steps in the first run, then K steps per run,
// the state (cache, mask, positions, seen ids) handed from one run's outputs to the next run's inputs.
import ort from 'onnxruntime-node';
import { TtsError } from '../../../protocol/errors.js';
import { emptyCacheTensor, floatTensor, int64Tensor, onesInt64Tensor, type Feeds } from '../../onnx/tensors.js';
import type { ChatterboxModel } from '../chatterbox-model.js';
import { DEFAULT_STEPS_PER_RUN, rowsOf, type GenerationRequest } from '../generate-tokens.js';
import { embedPrompt, runGraph } from '../prompt-embeds.js';
import type { SamplerParams } from '../sampler.js';
import { createRandom } from '../seeded-random.js';
import { TOKENS } from '../text-tokenizer.js';
import type { FusedDecoder } from './fused-decoder.js';

/** The graph's per-request sampler inputs for one request, computed as sampleToken computes them. */
export function samplerFeeds(params: SamplerParams, cfgWeight: number): Feeds {
  const { temperature, minP } = params;
  return {
    cfg_weight: new ort.Tensor('float32', Float32Array.of(cfgWeight), [1]),
    repetition_penalty: new ort.Tensor('float32', Float32Array.of(params.repetitionPenalty), [1]),
    inv_temperature: new ort.Tensor('float64', Float64Array.of(temperature === 0 ? 0 : 1 / temperature), [1]),
    min_p_offset: new ort.Tensor('float64', Float64Array.of(minP === 0 ? Number.NEGATIVE_INFINITY : temperature * Math.log(minP)), [1]),
    top_k: new ort.Tensor('int64', BigInt64Array.of(BigInt(params.topK)), [1]),
    top_p: new ort.Tensor('float64', Float64Array.of(params.topP), [1]),
  };
}

/** Yields speech tokens (ids below 6561) as generateSpeechTokens does; a cancel takes effect at the next run. */
export async function* generateSpeechTokensFused(model: ChatterboxModel, fused: FusedDecoder, request: GenerationRequest, signal: AbortSignal): AsyncGenerator<number> {
  const { layout } = fused;
  const { lm } = model;
  const rows = rowsOf(model, request);
  const steps = request.stepsPerRun ?? DEFAULT_STEPS_PER_RUN;
  const random = createRandom(request.seed);
  const greedy = request.sampler.temperature === 0;
  const prompt = await embedPrompt(model, request, rows);

  const seen = new Uint8Array(lm.vocab);
  seen[TOKENS.startSpeech] = 1;
  let state: Feeds = {
    inputs_embeds: floatTensor(prompt.data, [rows, prompt.length, lm.hidden], layout.embedsType),
    attention_mask: onesInt64Tensor([rows, prompt.length]),
    seen_tokens: new ort.Tensor('bool', seen, [1, lm.vocab]),
  };
  if (layout.lmPositionIds) state.position_ids = int64Tensor(Array.from({ length: rows * prompt.length }, (_, i) => i % prompt.length), [rows, prompt.length]);
  if (layout.embedPositionIds) state.embed_positions = int64Tensor(Array(rows).fill(1), [rows]);
  for (let layer = 0; layer < layout.layers; layer++) {
    for (const kind of ['key', 'value']) state[`past_key_values.${layer}.${kind}`] = emptyCacheTensor(layout.cacheType, rows, lm.kvHeads, lm.headDim);
  }
  const fixed: Feeds = {
    ...samplerFeeds(request.sampler, rows === 2 ? request.cfgWeight : 0),
    row_requests: int64Tensor(Array(rows).fill(0), [rows]),
    cond_rows: int64Tensor([0], [1]),
    uncond_rows: int64Tensor([rows - 1], [1]),
  };
  if (layout.exaggerationType) fixed.exaggeration = floatTensor(new Float32Array(rows).fill(request.exaggeration), [rows], layout.exaggerationType);

  let generated = 0;
  for (let run = 0; ; run++) {
    if (signal.aborted) return;
    const count = Math.min(run === 0 ? steps.first : steps.next, request.maxNewTokens - generated);
    // One uniform number per step, as sampleToken draws one per sampled token (none when greedy).
    const uniforms = new Float64Array(count);
    if (!greedy) for (let i = 0; i < count; i++) uniforms[i] = random();
    const out = await runGraph(fused.session, 'fused decode graph', {
      ...state,
      ...fixed,
      uniforms: new ort.Tensor('float64', uniforms, [1, count]),
      row_steps: int64Tensor([count], [1]),
    });
    const tokens = out.tokens!.data as BigInt64Array;
    for (const value of tokens) {
      // A cancel stops the tokens of the current run too; the graph itself cannot be interrupted.
      if (signal.aborted) return;
      const token = Number(value);
      if (token === TOKENS.stopSpeech || token < 0) return;
      generated += 1;
      if (token < TOKENS.startSpeech) yield token;
    }
    if (generated >= request.maxNewTokens) return;
    if (tokens.length < count) throw new TtsError('ENGINE_FAILED', `fused decode graph ran ${tokens.length} of ${count} steps without stopping`);
    state = nextState(out, layout.layers);
  }
}

function nextState(out: ort.InferenceSession.OnnxValueMapType, layers: number): Feeds {
  const state: Feeds = {};
  for (const [name, value] of Object.entries(out)) {
    if (name.startsWith('next_')) state[name.slice('next_'.length)] = value as ort.Tensor;
  }
  for (let layer = 0; layer < layers; layer++) {
    for (const kind of ['key', 'value']) state[`past_key_values.${layer}.${kind}`] = out[`present.${layer}.${kind}`] as ort.Tensor;
  }
  return state;
}
