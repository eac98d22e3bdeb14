import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatterboxEngine } from '../src/engine/chatterbox/chatterbox-engine.js';
import { measureJoins, speakPieces } from '../test/helpers/joins.js';
import { multilingualCopyOf } from '../test/helpers/multilingual-model.js';
import { ensureTinyModel } from '../test/helpers/tiny-model.js';
import { voicedSound, writeWav } from '../test/helpers/wav-file.js';
import { printTable } from './stats.js';

// The joins between the pieces of one streamed request (issue 14): silence and the largest sample step within two
// tokens of each join, beside the same measures inside the pieces, on the generated models whose decoder fades in its
// first 40 ms and looks 3 tokens ahead like the real one. Seeded, so every run prints the same numbers.

const SENTENCES = [
  'The first sentence comes in now.',
  'Then a second one follows it.',
  'A third is a little longer than the others, with a clause.',
  'And the last one ends the reply.',
];
const SEEDS = [11, 12, 13, 14, 15];
const SAMPLES_PER_TOKEN = 960;
const msOf = (samples: number) => Math.round((samples / 24) * 10) / 10;

/** The piece-joins table of the input-stream section. */
export async function benchPieceJoins(): Promise<void> {
  const voicesDir = await mkdtemp(join(tmpdir(), 'join-bench-voice-'));
  const multilingualDir = await multilingualCopyOf(await ensureTinyModel({ decoderLookahead: 3 }), ['en', 'fr', 'de']);
  const rows: Array<Array<string | number>> = [];
  try {
    await writeWav(join(voicesDir, 'speaker.wav'), { sampleRateHz: 24_000, channels: [voicedSound(24_000, 2, 160)], encoding: 'pcm16' });
    const models: Array<[string, string]> = [
      ['english', await ensureTinyModel({ decoderLookahead: 3 })],
      ['multilingual', multilingualDir],
      ['turbo', await ensureTinyModel({ variant: 'turbo', decoderLookahead: 3 })],
    ];
    const pieces = SENTENCES.map((text) => ({ text, startsSentence: true, endsSentence: true }));
    for (const [name, modelDir] of models) {
      const engine = await createChatterboxEngine({ kind: 'chatterbox', modelDir, device: 'cpu', dtype: 'fp32', gpu: 0, voicesDir });
      try {
        let joins = 0;
        let joinSilence = 0;
        let joinStep = 0;
        let insideSilence = 0;
        let insideStep = 0;
        for (const seed of SEEDS) {
          const spoken = await speakPieces(engine, pieces, { seed, max_new_tokens: 60 });
          const report = measureJoins(spoken.audio, spoken.joins, { radiusSamples: 2 * SAMPLES_PER_TOKEN, skipStartSamples: 2 * SAMPLES_PER_TOKEN });
          joins += report.joins.length;
          for (const measured of report.joins) {
            joinSilence = Math.max(joinSilence, measured.silenceSamples);
            joinStep = Math.max(joinStep, measured.step);
          }
          insideSilence = Math.max(insideSilence, report.insideSilenceSamples);
          insideStep = Math.max(insideStep, report.insideStep);
        }
        rows.push([name, joins, msOf(joinSilence), msOf(insideSilence), joinStep.toFixed(4), insideStep.toFixed(4)]);
      } finally {
        await engine.close();
      }
    }
  } finally {
    await rm(voicesDir, { recursive: true, force: true });
    await rm(multilingualDir, { recursive: true, force: true });
  }
  printTable(
    `Joins between streamed pieces: ${SENTENCES.length} sentences × ${SEEDS.length} seeds, tiny models (decoder look-ahead 3), worst over all`,
    ['model', 'joins', 'silence at joins ms', 'silence inside ms', 'largest step at joins', 'largest step inside'],
    rows,
  );
}
