// embed_tokens: token ids → inputs_embeds for the language model.
//
// English (as the onnx-community export's InputsEmbeds does): in each row, every position up to and including the
// first 0 ([STOP] text token) is text, everything after it is speech, and 6563 anywhere is the exaggeration marker.
// Text rows take text_emb(id) + text_pos_emb(position_ids), speech rows speech_emb(id) + speech_pos_emb(position_ids),
// the marker takes emotion_adv_fc(exaggeration). So a prefill row [6563, 255, …, 0, 6561, 6561] splits correctly,
// and a one-token step row is speech — unless that token is 0, which this rule (like the real one) embeds as text.
//
// Turbo (input_ids only; the real rule is not published): a row of one token is a generated speech token, a longer
// row is text. Feed text only as a whole prefill and speech tokens one step at a time.
import { EXAGGERATION_TOKEN } from './constants.js';
import type { ModelDtype } from './make-model.js';
import { GraphBuilder } from './onnx-builder.js';
import { embeddingFor } from './quantized-linear.js';
import type { ModelDims } from './sizes.js';
import { randomWeight } from './weights.js';

const BATCH = 'batch_size';
const SEQUENCE = 'sequence_length';

/** The English embed_tokens graph (tables 4-bit quantized for q4 and q4f16). */
export function buildEnglishEmbedTokens(dims: ModelDims, seed: number, dtype: ModelDtype = 'fp32'): GraphBuilder {
  const g = new GraphBuilder('embed_tokens');
  const ids = g.input('input_ids', 'int64', [BATCH, SEQUENCE]);
  const positions = g.input('position_ids', 'int64', [BATCH, SEQUENCE]);
  const exaggeration = g.input('exaggeration', 'float32', [BATCH]);
  const embedding = embeddingFor(g, seed, dtype);
  const table = (name: string, rows: number, std: number) => (indices: string) => embedding(name, [rows, dims.hidden], std, indices);

  const isZero = g.op('Cast', [g.op('Equal', [ids, g.i64(0)])], { to: 7 });
  const zerosBefore = g.op('Sub', [g.op('CumSum', [isZero, g.i64(1)]), isZero]);
  const hasZero = g.op('Greater', [g.op('ReduceSum', [isZero, g.i64([1])], { keepdims: 1 }), g.i64(0)]);
  const upToFirstZero = g.op('And', [g.op('Equal', [zerosBefore, g.i64(0)]), hasZero]);
  const isMarker = g.op('Equal', [ids, g.i64(EXAGGERATION_TOKEN)]);
  const notMarker = g.op('Not', [isMarker]);
  const isText = g.op('And', [upToFirstZero, notMarker]);
  const isSpeech = g.op('And', [g.op('Not', [upToFirstZero]), notMarker]);

  const zero = g.i64(0);
  // Rows outside `mask` look up row 0 and are zeroed below, so any id is safe there.
  const lookup = (mask: string, tokenTable: (indices: string) => string, positionTable: (indices: string) => string) =>
    g.op('Add', [tokenTable(g.op('Where', [mask, ids, zero])), positionTable(g.op('Where', [mask, positions, zero]))]);
  const text = lookup(isText, table('text_emb.weight', dims.textVocab, 0.5), table('text_pos_emb.weight', dims.textPositions, 0.2));
  const speech = lookup(isSpeech, table('speech_emb.weight', dims.speechVocab, 0.5), table('speech_pos_emb.weight', dims.speechPositions, 0.2));
  const emotionWeight = randomWeight(g, seed, 'emotion_adv_fc.weight', [1, dims.hidden], 1);
  const emotionRow = g.op('MatMul', [g.op('Unsqueeze', [exaggeration, g.i64([1])]), emotionWeight]);
  const emotion = g.op('Unsqueeze', [emotionRow, g.i64([1])]);

  const weightOf = (mask: string) => g.op('Unsqueeze', [g.op('Cast', [mask], { to: 1 }), g.i64([2])]);
  const textAndSpeech = g.op('Add', [g.op('Mul', [text, weightOf(isText)]), g.op('Mul', [speech, weightOf(isSpeech)])]);
  g.op('Add', [textAndSpeech, g.op('Mul', [emotion, weightOf(isMarker)])], {}, 'inputs_embeds');
  g.output('inputs_embeds', 'float32', [BATCH, SEQUENCE, dims.hidden]);
  return g;
}

/** The Turbo embed_tokens graph (tables 4-bit quantized for q4 and q4f16). */
export function buildTurboEmbedTokens(dims: ModelDims, seed: number, dtype: ModelDtype = 'fp32'): GraphBuilder {
  const g = new GraphBuilder('embed_tokens');
  const ids = g.input('input_ids', 'int64', [BATCH, SEQUENCE]);
  const length = g.op('Gather', [g.op('Shape', [ids]), g.i64(1)], { axis: 0 });
  const isStep = g.op('Equal', [length, g.i64(1)]);
  const zero = g.i64(0);
  const embedding = embeddingFor(g, seed, dtype);
  const speech = embedding('speech_emb.weight', [dims.speechVocab, dims.hidden], 0.5, g.op('Where', [isStep, ids, zero]));
  const text = embedding('text_emb.weight', [dims.textVocab, dims.hidden], 0.5, g.op('Where', [isStep, zero, ids]));
  g.op('Where', [isStep, speech, text], {}, 'inputs_embeds');
  g.output('inputs_embeds', 'float32', [BATCH, SEQUENCE, dims.hidden]);
  return g;
}
