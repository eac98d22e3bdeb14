// A streamed utterance equals one decode of the same tokens on decoders that look ahead (issue 10): the generated
// decoder's audio of token k depends on tokens k+1..k+R, like the real S3Gen's, and is deterministic, so every
// sample can be compared exactly: the first chunk, the chunks in the middle and the end.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createChatterboxEngine } from '../../../src/engine/chatterbox/chatterbox-engine.js';
import { createWindowDecoder } from '../../../src/engine/chatterbox/window-decoder.js';
import type { AudioChunk, Engine } from '../../../src/engine/engine.js';
import type { EngineSpec } from '../../../src/engine/engine-spec.js';
import type { ModelVariant } from '../../../src/model-gen/sizes.js';
import { generationFor, loadTinyChatterbox, maxDifference, tokensOf, type TinyChatterbox } from '../../helpers/chatterbox.js';
import { voicedSound, writeWav } from '../../helpers/wav-file.js';
import { collectChunks, joinChunks, requestFor } from '../contract.js';

type ChunkingSpec = Extract<EngineSpec, { kind: 'chatterbox' }>['chunking'];

/** One sentence (one generation call) long enough for a first chunk, several middle chunks and a last one. */
const SENTENCE = 'The quick brown fox jumps over the lazy dog while we stream it';
const SEED = 7;

interface SeamReport {
  /** Largest |streamed − whole| in the first chunk, the middle chunks and the last chunk. */
  first: number;
  middle: number;
  end: number;
  chunks: number;
  tokens: number;
}

async function streamAgainstWhole(tiny: TinyChatterbox, voicesDir: string, chunking: ChunkingSpec): Promise<SeamReport> {
  const engine: Engine = await createChatterboxEngine({ kind: 'chatterbox', modelDir: tiny.dir, device: 'cpu', dtype: 'fp32', gpu: 0, voicesDir, chunking });
  let chunks: AudioChunk[];
  try {
    chunks = await collectChunks(engine, requestFor(engine, SENTENCE, { params: { seed: SEED } }));
  } finally {
    await engine.close();
  }
  const tokens = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: SEED }));
  assert.equal(chunks.at(-1)?.tokens, tokens.length, 'the engine spoke the tokens of the reference loop');
  const whole = await createWindowDecoder(tiny.model, tiny.voice)(tokens);
  const audio = joinChunks(chunks);
  assert.equal(audio.length, whole.length, 'every sample once');
  const firstEnd = chunks[0]!.pcm.length;
  const lastStart = audio.length - chunks.at(-1)!.pcm.length;
  const region = (from: number, to: number) => maxDifference(audio.subarray(from, to), whole.subarray(from, to)).value;
  return {
    first: region(0, firstEnd),
    middle: region(firstEnd, lastStart),
    end: region(lastStart, audio.length),
    chunks: chunks.length,
    tokens: tokens.length,
  };
}

describe('streamed audio equals the whole decode on decoders with right context', { timeout: 120_000 }, () => {
  const loaded: TinyChatterbox[] = [];
  let voicesDir: string;
  before(async () => {
    // Turbo ships no default voice; both variants get this one (English keeps its own default).
    voicesDir = await mkdtemp(join(tmpdir(), 'lookahead-seams-voice-'));
    await writeWav(join(voicesDir, 'speaker.wav'), { sampleRateHz: 24_000, channels: [voicedSound(24_000, 2, 160)], encoding: 'pcm16' });
  });
  after(async () => {
    for (const tiny of loaded) await tiny.model.release();
    await rm(voicesDir, { recursive: true, force: true });
  });
  const load = async (variant: ModelVariant, decoderLookahead: number) => {
    const tiny = await loadTinyChatterbox({ variant, decoderLookahead }, voicesDir);
    loaded.push(tiny);
    return tiny;
  };

  for (const variant of ['english', 'turbo'] as const) {
    for (const decoderLookahead of [0, 1, 3]) {
      it(`regression: seams lacked the decoder's right context: ${variant}, decoder look-ahead ${decoderLookahead}, default chunking`, async () => {
        const report = await streamAgainstWhole(await load(variant, decoderLookahead), voicesDir, {});
        assert.ok(report.chunks >= 4, `${report.chunks} chunks of ${report.tokens} tokens: no middle chunks to test`);
        const worst = Math.max(report.first, report.middle, report.end);
        assert.ok(worst < 1e-4, `streamed differs from the whole decode: ${JSON.stringify(report)}`);
      });
    }
  }

  it('the comparison can fail: with look-ahead 0 on a decoder that looks 1 token ahead, the seams differ', async () => {
    const report = await streamAgainstWhole(await load('english', 1), voicesDir, { lookaheadTokens: 0 });
    assert.ok(report.middle > 1e-2, `no seam error without look-ahead: ${JSON.stringify(report)}`);
  });
});
