import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChatterboxModel } from '../src/engine/chatterbox/chatterbox-model.js';
import { generateSpeechTokens } from '../src/engine/chatterbox/generate-tokens.js';
import { DEFAULT_CHUNKING, DEFAULT_LOOKAHEAD_TOKENS, StreamDecoder } from '../src/engine/chatterbox/stream-decoder.js';
import { createVoiceBank, listVoiceFiles } from '../src/engine/chatterbox/voice-bank.js';
import { createWindowDecoder } from '../src/engine/chatterbox/window-decoder.js';
import { createRandom } from '../src/model-gen/random.js';
import type { ModelVariant } from '../src/model-gen/sizes.js';
import { generationFor, loadTinyChatterbox } from '../test/helpers/chatterbox.js';
import { voicedSound, writeWav } from '../test/helpers/wav-file.js';
import { ensureBenchModel } from './models.js';
import { mean, printTable, quantile } from './stats.js';
import { benchTempoSeams } from './tempo-bench.js';

// Look-ahead at chunk seams (issue 10): how far streamed audio is from one decode of the same tokens, per decoder
// right context and stream look-ahead, and what each token of look-ahead costs in time to first audio.

const SAMPLES_PER_TOKEN = 960;
const STREAM_LOOKAHEADS = [0, 1, DEFAULT_LOOKAHEAD_TOKENS, 7];

/** `count` seeded speech tokens, none of them the near-silent 4299, so every seam has signal on both sides. */
function randomTokens(count: number): number[] {
  const random = createRandom(11);
  const tokens: number[] = [];
  while (tokens.length < count) {
    const token = Math.floor(random() * 6561);
    if (token !== 4299) tokens.push(token);
  }
  return tokens;
}

const rms = (values: ArrayLike<number>, from = 0, to = values.length) => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i]! ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
};

/** Streams 150 tokens with the default chunking and `lookahead`, against one decode: max, RMS, and RMS over seam tokens. */
async function seamRows(variant: ModelVariant, voicesDir: string): Promise<Array<Array<string | number>>> {
  const rows: Array<Array<string | number>> = [];
  const tokens = randomTokens(150);
  for (const decoderLookahead of [0, 1, 3]) {
    const tiny = await loadTinyChatterbox({ variant, decoderLookahead }, voicesDir);
    try {
      const decodeWindow = createWindowDecoder(tiny.model, tiny.voice);
      const whole = await decodeWindow(tokens);
      for (const lookaheadTokens of STREAM_LOOKAHEADS) {
        const decoder = new StreamDecoder(decodeWindow, { ...DEFAULT_CHUNKING, lookaheadTokens }, 24_000);
        const chunks: Float32Array[] = [];
        for (const token of tokens) {
          const chunk = await decoder.push(token);
          if (chunk) chunks.push(chunk);
        }
        chunks.push(await decoder.flush());
        const diff = new Float32Array(whole.length);
        let offset = 0;
        const seams: number[] = [];
        for (const chunk of chunks) {
          for (let i = 0; i < chunk.length; i++) diff[offset + i] = chunk[i]! - whole[offset + i]!;
          offset += chunk.length;
          seams.push(offset);
        }
        // The token before each seam (a seam sits inside its held crossfade): where a missing right context shows.
        const seamSquares: number[] = [];
        for (const seam of seams.slice(0, -1)) {
          const token = Math.floor(seam / SAMPLES_PER_TOKEN);
          const from = (token - 1) * SAMPLES_PER_TOKEN;
          for (let i = Math.max(0, from); i < Math.min(diff.length, from + 2 * SAMPLES_PER_TOKEN); i++) seamSquares.push(diff[i]! ** 2);
        }
        const maxDiff = diff.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        rows.push([variant, decoderLookahead, lookaheadTokens, chunks.length - 1, maxDiff, rms(diff), Math.sqrt(mean(seamSquares)), rms(whole)]);
      }
    } finally {
      await tiny.model.release();
    }
  }
  return rows;
}

/**
 * Time from the start of generation to the first audio chunk, ms, per stream look-ahead: the engine's loop (tokens
 * into a StreamDecoder until it returns a chunk) on one loaded model, the look-aheads taken in turn on every round so
 * that load from elsewhere on the machine spreads over all of them. Median and minimum of `rounds` after a warm-up.
 */
async function ttfaRows(label: string, modelDir: string, rounds: number): Promise<Array<Array<string | number>>> {
  const model = await loadChatterboxModel(modelDir, { dtype: 'fp32', device: 'cpu', gpu: 0 });
  try {
    const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, undefined));
    const loaded = { dir: modelDir, model, voices, voice: await voices.get(voices.defaultVoice) };
    const times = STREAM_LOOKAHEADS.map(() => [] as number[]);
    for (let round = 0; round <= rounds; round++) {
      for (const [index, lookaheadTokens] of STREAM_LOOKAHEADS.entries()) {
        const request = generationFor(loaded, 'The quick brown fox jumps over the lazy dog, again and again.', { seed: round + 1 });
        const decoder = new StreamDecoder(createWindowDecoder(model, loaded.voice), { ...DEFAULT_CHUNKING, lookaheadTokens }, 24_000);
        const t0 = performance.now();
        for await (const token of generateSpeechTokens(model, request, new AbortController().signal)) {
          if ((await decoder.push(token)) === undefined) continue;
          if (round > 0) times[index]!.push(performance.now() - t0);
          break;
        }
      }
    }
    return [
      [`${label}, median`, ...times.map((t) => quantile(t, 0.5))],
      [`${label}, minimum`, ...times.map((t) => Math.min(...t))],
    ];
  } finally {
    await model.release();
  }
}

/**
 * Seam error streamed vs whole on decoders with 0, 1, 3 tokens of right context, and through the tempo stretch at
 * speed ≠ 1; time-to-first-audio cost of look-ahead.
 */
export async function benchSeams(): Promise<void> {
  const voicesDir = await mkdtemp(join(tmpdir(), 'seam-bench-voice-'));
  try {
    await writeWav(join(voicesDir, 'speaker.wav'), { sampleRateHz: 24_000, channels: [voicedSound(24_000, 2, 160)], encoding: 'pcm16' });
    const rows = [...(await seamRows('english', voicesDir)), ...(await seamRows('turbo', voicesDir))];
    printTable(
      `Seams: 150 tokens streamed with the default chunking vs one decode (tiny models; default look-ahead ${DEFAULT_LOOKAHEAD_TOKENS})`,
      ['model', 'decoder look-ahead', 'stream look-ahead', 'seams', 'max |diff|', 'RMS diff', 'RMS diff at seams', 'signal RMS'],
      rows,
    );
  } finally {
    await rm(voicesDir, { recursive: true, force: true });
  }

  await benchTempoSeams();

  // The full-size model, because the look-ahead costs language-model steps: the tiny model's are too cheap to show.
  const ttfa = await ttfaRows('full english (30 layers)', await ensureBenchModel('full', 'fp32'), 3);
  const header = ['model (CPU, CFG 0.5)', ...STREAM_LOOKAHEADS.map((l) => `ms, look-ahead ${l}`)];
  printTable(`Time to first audio by look-ahead: generation start to the first chunk (${DEFAULT_CHUNKING.firstChunkTokens} + look-ahead tokens)`, header, ttfa);
  const at = (row: Array<string | number>, lookahead: number) => row[1 + STREAM_LOOKAHEADS.indexOf(lookahead)] as number;
  const most = STREAM_LOOKAHEADS.at(-1)!;
  const perToken = ttfa.map((row) => [row[0]!, (at(row, most) - at(row, 0)) / most, at(row, DEFAULT_LOOKAHEAD_TOKENS) - at(row, 0)]);
  printTable('Look-ahead cost', ['model', 'ms per look-ahead token', `ms for the default ${DEFAULT_LOOKAHEAD_TOKENS}`], perToken);
}
