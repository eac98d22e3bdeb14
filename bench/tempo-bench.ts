import { createTimeStretch } from '../src/audio/time-stretch.js';
import { createFliteEngine } from '../src/engine/flite/flite-engine.js';
import { voicedSound } from '../test/helpers/wav-file.js';
import { printTable, quantile } from './stats.js';

// The tempo stretch behind params.speed (issue 13): what it costs per second of audio, and what it does at the seams
// between engine chunks and between the chunks it hands on.

const SPEEDS = [0.25, 0.5, 0.8, 1.25, 2, 4];
const BENCH_SECONDS = 10;
const ROUNDS = 5;

/** Stretches `input` pushed in `chunkSamples` pieces; returns the output pieces and the wall time, ms. */
function stretchTimed(input: Float32Array, rateHz: number, speed: number, chunkSamples: number): { pieces: Float32Array[]; ms: number } {
  const stretch = createTimeStretch({ sampleRateHz: rateHz, speed });
  const pieces: Float32Array[] = [];
  const t0 = performance.now();
  for (let offset = 0; offset < input.length; offset += chunkSamples) pieces.push(stretch.push(input.subarray(offset, offset + chunkSamples)));
  pieces.push(stretch.flush());
  return { pieces, ms: performance.now() - t0 };
}

/** Real-time factor of the stretch alone: wall time over the duration of the audio it makes, median of ROUNDS. */
function rtfRows(): Array<Array<string | number>> {
  const rows: Array<Array<string | number>> = [];
  for (const rateHz of [16_000, 24_000]) {
    const input = voicedSound(rateHz, BENCH_SECONDS, 130);
    const row: Array<string | number> = [`${rateHz / 1000} kHz, 100 ms chunks`];
    for (const speed of SPEEDS) {
      const times: number[] = [];
      for (let round = 0; round <= ROUNDS; round++) {
        const { ms } = stretchTimed(input, rateHz, speed, rateHz / 10);
        if (round > 0) times.push(ms);
      }
      row.push(quantile(times, 0.5) / ((BENCH_SECONDS / speed) * 1000));
    }
    rows.push(row);
  }
  return rows;
}

function join(pieces: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(pieces.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function maxStep(samples: Float32Array, from: number, to: number): number {
  let max = 0;
  for (let i = Math.max(1, from); i < Math.min(samples.length, to); i++) max = Math.max(max, Math.abs(samples[i]! - samples[i - 1]!));
  return max;
}

/**
 * Flite's speech at speed 1 in its own chunks, stretched as it streams: the largest difference from stretching the
 * whole utterance at once (0 when engine chunk seams leave no trace), and the largest step between samples at the
 * seams of the stretched chunks against the largest anywhere (a click would make the first stand out).
 */
async function seamRows(): Promise<Array<Array<string | number>>> {
  const flite = await createFliteEngine({ maxChunkMs: 250 });
  try {
    const text = 'The quick brown fox jumps over the lazy dog. Then it runs far away, over the hills and into the woods.';
    const chunks: Float32Array[] = [];
    for await (const chunk of flite.synthesize({ text, voice: 'slt', language: 'en', params: { speed: 1 } }, new AbortController().signal))
      chunks.push(chunk.pcm);
    const whole = join(chunks);
    const rateHz = flite.info.sampleRateHz;
    const rows: Array<Array<string | number>> = [];
    for (const speed of SPEEDS) {
      const stretch = createTimeStretch({ sampleRateHz: rateHz, speed });
      const pieces = [...chunks.map((chunk) => stretch.push(chunk)), stretch.flush()];
      const streamed = join(pieces);
      const once = join(stretchTimed(whole, rateHz, speed, whole.length).pieces);
      let diff = 0;
      for (let i = 0; i < once.length; i++) diff = Math.max(diff, Math.abs(once[i]! - (streamed[i] ?? 0)));
      let seamStep = 0;
      let offset = 0;
      for (const piece of pieces.slice(0, -1)) {
        offset += piece.length;
        if (piece.length > 0) seamStep = Math.max(seamStep, maxStep(streamed, offset - 1, offset + 2));
      }
      rows.push([
        speed,
        chunks.length,
        pieces.filter((p) => p.length > 0).length - 1,
        diff,
        seamStep,
        maxStep(streamed, 0, streamed.length),
        streamed.length / whole.length,
      ]);
    }
    return rows;
  } finally {
    await flite.close();
  }
}

/** The seams table, shared with `npm run bench -- seams`. */
export async function benchTempoSeams(): Promise<void> {
  printTable(
    'Seams at speed ≠ 1: flite speech (250 ms chunks) stretched as it streams vs stretched whole',
    ['speed', 'engine chunks', 'output seams', 'max |streamed − whole|', 'max step at seams', 'max step anywhere', 'duration ratio'],
    await seamRows(),
  );
}

/** Real-time factor of the time stretch per speed, and its seams. */
export async function benchTempo(): Promise<void> {
  printTable(
    `Time stretch real-time factor (wall time / audio made; ${BENCH_SECONDS} s voiced sound, median of ${ROUNDS})`,
    ['input', ...SPEEDS.map((s) => `speed ${s}`)],
    rtfRows(),
  );
  await benchTempoSeams();
}
