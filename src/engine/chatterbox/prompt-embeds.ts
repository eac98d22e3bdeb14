import type ort from 'onnxruntime-node';
import { TtsError } from '../../protocol/errors.js';
import { runSession } from '../onnx/half-bits.js';
import { describeFeeds, floatData, floatTensor, int64Tensor, type Feeds } from '../onnx/tensors.js';
import type { ChatterboxModel } from './chatterbox-model.js';
import { TOKENS, type EncodedText } from './text-tokenizer.js';
import type { VoiceConditioning } from './voice-bank.js';

/** Runs one graph; an ONNX failure becomes ENGINE_FAILED naming the graph and the feeds' dtypes and dims. */
export async function runGraph(session: ort.InferenceSession, graph: string, feeds: Feeds): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await runSession(session, feeds);
  } catch (err) {
    throw new TtsError('ENGINE_FAILED', `${graph} failed on inputs ${JSON.stringify(describeFeeds(feeds))}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Embeds ids at the given positions (English/multilingual also take the exaggeration). */
export async function embedTokens(model: ChatterboxModel, ids: number[], positions: number[], exaggeration: number): Promise<Float32Array> {
  const feeds: Feeds = { input_ids: int64Tensor(ids, [1, ids.length]) };
  if (model.embed.hasPositionIds) feeds.position_ids = int64Tensor(positions, [1, ids.length]);
  if (model.embed.hasExaggeration) feeds.exaggeration = floatTensor(Float32Array.of(exaggeration), [1]);
  const out = await runGraph(model.sessions.embed_tokens, 'embed_tokens', feeds);
  return floatData(out.inputs_embeds!);
}

/** Prompt positions: text counts from the start-text token, speech-side tokens (6561+) sit at 0. */
function promptPositions(ids: number[]): number[] {
  let position = 0;
  return ids.map((id) => (id >= TOKENS.startSpeech ? 0 : position++));
}

/** The prefill input: [voice conditioning, embedded prompt] per row, [rows, length, hidden] flattened. */
export interface PromptEmbeds {
  data: Float32Array;
  rows: number;
  length: number;
}

/**
 * Embeds the prompt after the voice's conditioning, once per batch row; with CFG (two rows) the second row is the
 * unconditional one: the same prompt with the text embeddings zeroed.
 */
export async function embedPrompt(
  model: ChatterboxModel,
  request: { text: EncodedText; voice: VoiceConditioning; exaggeration: number },
  rows: number,
): Promise<PromptEmbeds> {
  const hidden = model.lm.hidden;
  const ids = request.text.ids;
  const textEmbeds = await embedTokens(model, ids, promptPositions(ids), request.exaggeration);
  const conditioning = floatData(request.voice.audioFeatures);
  const length = conditioning.length / hidden + ids.length;
  const data = new Float32Array(rows * length * hidden);
  for (let row = 0; row < rows; row++) {
    const offset = row * length * hidden;
    data.set(conditioning, offset);
    data.set(textEmbeds, offset + conditioning.length);
    if (row === 1) {
      const [start, end] = request.text.textRange;
      data.fill(0, offset + conditioning.length + start * hidden, offset + conditioning.length + end * hidden);
    }
  }
  return { data, rows, length };
}
