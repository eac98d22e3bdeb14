// speech_encoder: a reference voice (24 kHz) → the four conditioning outputs, deterministic in the audio.
//
// Only the first 10 s count, cut to whole 40 ms frames: P = floor(min(samples, 240000) / 960) prompt tokens.
// - audio_tokens [B, P]: each 40 ms frame projected to 8 values and quantised to 3 levels each (an FSQ code, 3^8 =
//   6561 ids, like the real S3 tokenizer's codebook).
// - speaker_features [B, 2P, 80]: log-magnitude projections of 20 ms frames, so F = 2 × prompt tokens exactly, which
//   conditional_decoder relies on to cut the prompt.
// - speaker_embeddings [B, 192]: the frame features' mean, projected.
// - audio_features [B, 33, H]: one speaker row plus 32 rows pooled from the frames by fixed learned queries (the role
//   of the real perceiver). Audio shorter than 40 ms gives P = 0 and zero-width outputs.
import { CONDITIONING_ROWS, FEATURE_BINS, FEATURE_FRAMES_PER_TOKEN, MAX_PROMPT_SAMPLES, SAMPLES_PER_TOKEN, SPEAKER_EMBEDDING_SIZE } from './constants.js';
import { GraphBuilder } from './onnx-builder.js';
import type { ModelDims } from './sizes.js';
import { randomLinear, randomWeight } from './weights.js';

const FRAME_FEATURES = 32;
const CODE_DIMS = 8;

/** The speech_encoder graph (same structure for both variants). */
export function buildSpeechEncoder(dims: ModelDims, seed: number): GraphBuilder {
  const g = new GraphBuilder('speech_encoder');
  const audio = g.input('audio_values', 'float32', ['batch_size', 'num_samples']);
  const linear = (x: string, name: string, shape: [number, number], gain = 1, output?: string) => randomLinear(g, seed, x, name, shape, gain, output);

  const shape = g.op('Shape', [audio]);
  const batch = g.op('Gather', [shape, g.i64([0])], { axis: 0 });
  const samples = g.op('Gather', [shape, g.i64([1])], { axis: 0 });
  const tokens = g.op('Div', [g.op('Min', [samples, g.i64([MAX_PROMPT_SAMPLES])]), g.i64([SAMPLES_PER_TOKEN])]);
  const clip = g.op('Slice', [audio, g.i64([0]), g.op('Mul', [tokens, g.i64([SAMPLES_PER_TOKEN])]), g.i64([1])]);
  const framed = (frameSamples: number, frameCount: string) =>
    g.op('Reshape', [clip, g.op('Concat', [batch, frameCount, g.i64([frameSamples])], { axis: 0 })], { allowzero: 1 });
  const frames = framed(SAMPLES_PER_TOKEN, tokens);
  const features = g.op('Tanh', [linear(frames, 'frame_proj.weight', [SAMPLES_PER_TOKEN, FRAME_FEATURES], 4)]);

  // tanh ∈ (−1, 1) → round(1.5·x + 1) ∈ {0, 1, 2}: one ternary digit per code dimension.
  const code = g.op('Slice', [features, g.i64([0]), g.i64([CODE_DIMS]), g.i64([2])]);
  const scaled = g.op('Add', [g.op('Mul', [code, g.f32(1.5)]), g.f32(1)]);
  const digits = g.op('Clip', [g.op('Round', [scaled]), g.f32(0), g.f32(2)]);
  const placeValues = g.f32(Array.from({ length: CODE_DIMS }, (_, i) => 3 ** i));
  const codeValue = g.op('ReduceSum', [g.op('Mul', [digits, placeValues]), g.i64([2])], { keepdims: 0 });
  g.op('Cast', [codeValue], { to: 7 }, 'audio_tokens');

  const frameCount = g.op('Cast', [g.op('Max', [tokens, g.i64([1])])], { to: 1 });
  const meanFeatures = g.op('Div', [g.op('ReduceSum', [features, g.i64([1])], { keepdims: 0 }), frameCount]);
  const speakerShape: [number, number] = [FRAME_FEATURES, SPEAKER_EMBEDDING_SIZE];
  const speaker = linear(meanFeatures, 'speaker_proj.weight', speakerShape, 6, 'speaker_embeddings');

  const hop = SAMPLES_PER_TOKEN / FEATURE_FRAMES_PER_TOKEN;
  const shortFrames = framed(hop, g.op('Mul', [tokens, g.i64([FEATURE_FRAMES_PER_TOKEN])]));
  const magnitude = g.op('Abs', [linear(shortFrames, 'feature_proj.weight', [hop, FEATURE_BINS], 2)]);
  g.op('Log', [g.op('Add', [magnitude, g.f32(0.01)])], {}, 'speaker_features');

  const speakerColumn = g.op('Unsqueeze', [speaker, g.i64([1])]);
  const speakerRow = linear(speakerColumn, 'cond_spkr.weight', [SPEAKER_EMBEDDING_SIZE, dims.hidden], 0.3);
  const keys = linear(features, 'perceiver.key.weight', [FRAME_FEATURES, FRAME_FEATURES]);
  const queries = randomWeight(g, seed, 'perceiver.queries', [CONDITIONING_ROWS - 1, FRAME_FEATURES], 2);
  const scores = g.op('MatMul', [queries, g.op('Transpose', [keys], { perm: [0, 2, 1] })]);
  const pooled = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), features]);
  const promptRows = linear(pooled, 'perceiver.out.weight', [FRAME_FEATURES, dims.hidden]);
  const rows = g.op('Concat', [speakerRow, promptRows], { axis: 1 });
  // A runtime-shaped Reshape keeps the row count symbolic in the signature, as in the real export: N is no contract.
  g.op('Reshape', [rows, g.op('Concat', [batch, g.i64([-1, dims.hidden])], { axis: 0 })], {}, 'audio_features');

  g.output('audio_features', 'float32', ['batch_size', 'sequence_length', dims.hidden]);
  g.output('audio_tokens', 'int64', ['batch_size', 'audio_sequence_length']);
  g.output('speaker_embeddings', 'float32', ['batch_size', SPEAKER_EMBEDDING_SIZE]);
  g.output('speaker_features', 'float32', ['batch_size', 'feature_dim', FEATURE_BINS]);
  return g;
}
