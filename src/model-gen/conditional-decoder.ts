// conditional_decoder: speech tokens (prompt + generated) → the generated part's waveform at 24 kHz.
//
// Each token j becomes a 1920-sample grain: a harmonic tone whose pitch, harmonic mix and loudness come from a
// per-token table (pitch shifted by the speaker embedding), under a periodic Hann window. Grains overlap-add with a
// 960 hop, so output block k (960 samples) = second half of grain k−1 + first half of grain k: it depends only on
// tokens k−1 and k and not on its absolute index, so re-decoding with any context reproduces the same samples
// (streaming seams can be compared exactly). No noise: the output is deterministic.
//
// Right context, like the real decoder's look-ahead (S3Gen's pre-lookahead convolution over the next 3 tokens):
// with `lookaheadTokens` R > 0, grain j's pitch is also bent by tokens j+1..j+R, zero-padded past the last token
// as the real convolution pads. Block k then depends on tokens k−1..k+R, so a window that ends within R tokens of
// block k renders it differently from a decode that sees the tokens after it.
//
// Prompt cut, as the real decoder does it: the prompt is what speaker_features covers, at 2 frames per token, so
// the first floor(F / 2) tokens are dropped and the waveform has exactly 960 × (T − floor(F / 2)) samples. Then the
// first 40 ms are faded in like the real one: 20 ms of silence, then a 20 ms raised-cosine ramp.
// Token ids must be < 6561 (the codebook): ids ≥ 6561 fail in Gather, as in the real graph; 4299 is near-silent.
import { FEATURE_FRAMES_PER_TOKEN, SAMPLE_RATE_HZ, SAMPLES_PER_TOKEN, SILENCE_TOKEN, SPEAKER_EMBEDDING_SIZE, SPEECH_CODEBOOK_SIZE } from './constants.js';
import { GraphBuilder } from './onnx-builder.js';
import { randomTensor } from './random.js';
import { randomLinear } from './weights.js';

const HARMONICS = 4;
const TOKEN_PARAMS = 2 + HARMONICS; // pitch, loudness, harmonic weights
const GRAIN = 2 * SAMPLES_PER_TOKEN;
const FADE_SAMPLES = SAMPLE_RATE_HZ / 50; // 20 ms: the real decoder's n_trim

/** Largest right context the generator offers, in tokens. */
export const MAX_DECODER_LOOKAHEAD_TOKENS = 8;

/** The conditional_decoder graph (same structure for both variants); `lookaheadTokens` is its right context. */
export function buildConditionalDecoder(seed: number, lookaheadTokens = 0): GraphBuilder {
  if (!Number.isInteger(lookaheadTokens) || lookaheadTokens < 0 || lookaheadTokens > MAX_DECODER_LOOKAHEAD_TOKENS) {
    throw new RangeError(`lookaheadTokens must be an integer 0..${MAX_DECODER_LOOKAHEAD_TOKENS}, got ${lookaheadTokens}`);
  }
  const g = new GraphBuilder('conditional_decoder');
  const tokens = g.input('speech_tokens', 'int64', ['batch_size', 'num_speech_tokens']);
  const speaker = g.input('speaker_embeddings', 'float32', ['batch_size', SPEAKER_EMBEDDING_SIZE]);
  const features = g.input('speaker_features', 'float32', ['batch_size', 'feature_dim', 80]);
  const slice = (x: string, from: number, to: number, axis: number) => g.op('Slice', [x, g.i64([from]), g.i64([to]), g.i64([axis])]);
  const dim = (x: string, axis: number) => g.op('Gather', [g.op('Shape', [x]), g.i64([axis])], { axis: 0 });

  const table = g.weight('token_params', 'float32', [SPEECH_CODEBOOK_SIZE, TOKEN_PARAMS], () => {
    const values = randomTensor(seed, 'token_params', SPEECH_CODEBOOK_SIZE * TOKEN_PARAMS, 1);
    values[SILENCE_TOKEN * TOKEN_PARAMS + 1] = -8;
    return values;
  });
  const params = g.op('Gather', [table, tokens], { axis: 0 });
  // Pitch 90–250 Hz per token, scaled by up to ±25 % by the speaker.
  const speakerPitch = randomLinear(g, seed, speaker, 'speaker_pitch.weight', [SPEAKER_EMBEDDING_SIZE, 1]);
  const pitchShift = g.op('Tanh', [speakerPitch]);
  const pitchScale = g.op('Unsqueeze', [g.op('Add', [g.f32(1), g.op('Mul', [pitchShift, g.f32(0.25)])]), g.i64([1])]);
  const basePitch = g.op('Add', [g.f32(90), g.op('Mul', [g.op('Sigmoid', [slice(params, 0, 1, 2)]), g.f32(160)])]);
  const tokenCount = dim(tokens, 1);
  const f0 = g.op('Mul', [bendByRightContext(g, seed, tokens, tokenCount, basePitch, lookaheadTokens), pitchScale]);
  const loudness = g.op('Mul', [g.op('Sigmoid', [g.op('Add', [slice(params, 1, 2, 2), g.f32(1.5)])]), g.f32(0.35)]);
  const harmonicWeights = g.op('Softmax', [slice(params, 2, TOKEN_PARAMS, 2)], { axis: -1 });

  // Each grain's time axis starts at 0, so a token sounds the same wherever it stands.
  const harmonicTimes = g.weight('harmonic_times', 'float32', [HARMONICS, GRAIN], () => {
    const values = new Float32Array(HARMONICS * GRAIN);
    for (let h = 0; h < HARMONICS; h++) {
      for (let n = 0; n < GRAIN; n++) values[h * GRAIN + n] = (2 * Math.PI * (h + 1) * n) / SAMPLE_RATE_HZ;
    }
    return values;
  });
  const phases = g.op('Mul', [g.op('Unsqueeze', [f0, g.i64([3])]), harmonicTimes]);
  const tone = g.op('MatMul', [g.op('Unsqueeze', [harmonicWeights, g.i64([2])]), g.op('Sin', [phases])]);
  const window = g.weight('grain_window', 'float32', [GRAIN], () =>
    Float32Array.from({ length: GRAIN }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / GRAIN)),
  );
  const grains = g.op('Mul', [g.op('Mul', [g.op('Squeeze', [tone, g.i64([2])]), loudness]), window]);

  const head = slice(grains, 0, SAMPLES_PER_TOKEN, 2);
  const tail = slice(grains, SAMPLES_PER_TOKEN, GRAIN, 2);
  const silence = g.op('Mul', [slice(tail, 0, 1, 1), g.f32(0)]);
  const delayed = g.op('Slice', [g.op('Concat', [silence, tail], { axis: 1 }), g.i64([0]), tokenCount, g.i64([1])]);
  const flatShape = g.op('Concat', [dim(tokens, 0), g.op('Mul', [tokenCount, g.i64(SAMPLES_PER_TOKEN)])], { axis: 0 });
  const wave = g.op('Reshape', [g.op('Add', [head, delayed]), flatShape], { allowzero: 1 });

  const promptTokens = g.op('Min', [g.op('Div', [dim(features, 1), g.i64(FEATURE_FRAMES_PER_TOKEN)]), tokenCount]);
  const start = g.op('Mul', [promptTokens, g.i64(SAMPLES_PER_TOKEN)]);
  const generated = g.op('Slice', [wave, start, g.i64([Number.MAX_SAFE_INTEGER]), g.i64([1])]);

  const fade = g.weight('fade_in', 'float32', [2 * FADE_SAMPLES + 1], () =>
    Float32Array.from({ length: 2 * FADE_SAMPLES + 1 }, (_, n) => {
      if (n < FADE_SAMPLES) return 0;
      if (n === 2 * FADE_SAMPLES) return 1;
      return (1 - Math.cos((Math.PI * (n - FADE_SAMPLES)) / (FADE_SAMPLES - 1))) / 2;
    }),
  );
  const length = g.op('Gather', [g.op('Shape', [generated]), g.i64(1)], { axis: 0 });
  const index = g.op('Min', [g.op('Range', [g.i64(0), length, g.i64(1)]), g.i64(2 * FADE_SAMPLES)]);
  g.op('Mul', [generated, g.op('Gather', [fade, index], { axis: 0 })], {}, 'waveform');
  g.output('waveform', 'float32', ['batch_size', 'num_samples']);
  return g;
}

/**
 * `pitch` [B, T, 1] times 1 + Σ_{j=1..R} (0.2 / j)·tanh(w[token t+j]): each token's pitch bent by the R tokens after
 * it (up to about ±20 % by the next one, ±20/j % by the j-th: a missing neighbour is plainly audible), zeros past
 * the end.
 */
function bendByRightContext(g: GraphBuilder, seed: number, tokens: string, tokenCount: string, pitch: string, lookahead: number): string {
  if (lookahead === 0) return pitch;
  const table = g.weight('lookahead_pitch', 'float32', [SPEECH_CODEBOOK_SIZE, 1], () => randomTensor(seed, 'lookahead_pitch', SPEECH_CODEBOOK_SIZE, 1));
  const pull = g.op('Tanh', [g.op('Gather', [table, tokens], { axis: 0 })]);
  const padded = g.op('Pad', [pull, g.i64([0, 0, 0, 0, lookahead, 0])]);
  let bend = g.f32(1);
  for (let j = 1; j <= lookahead; j++) {
    const next = g.op('Slice', [padded, g.i64([j]), g.op('Add', [tokenCount, g.i64([j])]), g.i64([1])]);
    bend = g.op('Add', [bend, g.op('Mul', [next, g.f32(0.2 / j)])]);
  }
  return g.op('Mul', [pitch, bend]);
}
