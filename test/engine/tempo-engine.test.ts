import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTimeStretch } from '../../src/audio/time-stretch.js';
import { createChatterboxEngine } from '../../src/engine/chatterbox/chatterbox-engine.js';
import { createEngine } from '../../src/engine/create-engine.js';
import type { Engine } from '../../src/engine/engine.js';
import { createFliteEngine } from '../../src/engine/flite/flite-engine.js';
import { withTempo } from '../../src/engine/tempo-engine.js';
import { TtsError } from '../../src/protocol/errors.js';
import { SPEED_PARAM } from '../../src/protocol/messages.js';
import { fundamentalHz, median } from '../helpers/pitch.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import { collectChunks, joinChunks, requestFor } from './contract.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog, and then it runs far away.';

/** Median fundamental over the voiced 30 ms windows (periodicity above 0.8) of an utterance, and how many there were. */
function voicedPitchHz(samples: Float32Array, rateHz: number): { hz: number; windows: number } {
  const window = Math.round(0.03 * rateHz);
  const found: number[] = [];
  for (let from = 0; from + window + rateHz / 50 < samples.length; from += window / 3) {
    const { hz, periodicity } = fundamentalHz(samples, rateHz, from, window);
    if (periodicity > 0.8) found.push(hz);
  }
  return { hz: median(found), windows: found.length };
}

async function speak(engine: Engine, speed: number, text = SENTENCE, extra: Record<string, number> = {}) {
  return collectChunks(engine, requestFor(engine, text, { params: { speed, ...extra } }));
}

describe('withTempo around flite (native speed 0.5..2, stretched beyond)', { timeout: 120_000 }, () => {
  let bare: Engine;
  let tempo: Engine;
  before(async () => {
    bare = await createFliteEngine();
    tempo = await createEngine({ kind: 'flite' });
  });
  after(async () => {
    await bare?.close();
    await tempo?.close();
  });

  it('declares speed over 0.25..4, default 1, and leaves the rest of the engine info as it was', () => {
    assert.deepEqual(bare.info.params['speed'], { min: 0.5, max: 2, default: 1 });
    assert.deepEqual(tempo.info.params['speed'], { min: 0.25, max: 4, default: 1 });
    assert.deepEqual({ ...tempo.info, params: {} }, { ...bare.info, params: {} });
  });

  it('at speeds flite reaches alone (1, 0.5, 1.5, 2) the chunks are those of flite, sample for sample', async () => {
    for (const speed of [1, 0.5, 1.5, 2]) {
      const [mine, theirs] = [await speak(tempo, speed), await speak(bare, speed)];
      assert.equal(mine.length, theirs.length, `speed ${speed}: chunk count`);
      for (const [i, chunk] of mine.entries()) assert.deepEqual(chunk.pcm, theirs[i]!.pcm, `speed ${speed}, chunk ${i}`);
    }
  });

  it('beyond them it stretches flite at its limit: 4 is round(speed 2 / 2) samples, 0.25 twice speed 0.5', async () => {
    const atTwo = joinChunks(await speak(bare, 2)).length;
    const atHalf = joinChunks(await speak(bare, 0.5)).length;
    assert.equal(joinChunks(await speak(tempo, 4)).length, Math.round(atTwo / 2));
    assert.equal(joinChunks(await speak(tempo, 0.25)).length, Math.round(atHalf / 0.5));
    // Flite's own duration stretch scales the whole utterance, pauses included, within 1% of 1/speed here, so the
    // ends of the range land within 2% of a quarter and four times speed 1.
    const atOne = joinChunks(await speak(bare, 1)).length;
    assert.ok(Math.abs(joinChunks(await speak(tempo, 4)).length / (atOne / 4) - 1) < 0.02, 'speed 4 is a quarter of speed 1');
    assert.ok(Math.abs(joinChunks(await speak(tempo, 0.25)).length / (atOne * 4) - 1) < 0.02, 'speed 0.25 is four times speed 1');
  });

  it("keeps the pitch of flite's voiced speech: the median fundamental moves less than 2% at 4 and 0.25", async () => {
    const rate = tempo.info.sampleRateHz;
    for (const [speed, native] of [
      [4, 2],
      [0.25, 0.5],
    ] as const) {
      const before = voicedPitchHz(joinChunks(await speak(bare, native)), rate);
      const after = voicedPitchHz(joinChunks(await speak(tempo, speed)), rate);
      assert.ok(before.windows > 50 && after.windows > 50, `enough voiced windows: ${before.windows}, ${after.windows}`);
      assert.ok(Math.abs(after.hz / before.hz - 1) < 0.02, `speed ${speed}: ${after.hz.toFixed(1)} Hz, flite at ${native}: ${before.hz.toFixed(1)} Hz`);
    }
  });

  it('refuses speeds out of range with BAD_PARAM, even from a caller that skipped resolveRequest', async () => {
    for (const speed of [0.2, 4.5, 0, -1, Number.NaN]) {
      await assert.rejects(
        collectChunks(tempo, { text: 'Hi.', voice: 'slt', language: 'en', params: { speed } }),
        (err: unknown) => err instanceof TtsError && err.code === 'BAD_PARAM' && /0\.25\.\.4/.test(err.message),
        `speed ${speed}`,
      );
    }
  });

  it('stops at an abort without flushing what it holds', async () => {
    const controller = new AbortController();
    const chunks = [];
    for await (const chunk of tempo.synthesize(requestFor(tempo, SENTENCE, { params: { speed: 3 } }), controller.signal)) {
      chunks.push(chunk);
      controller.abort();
    }
    assert.equal(chunks.length, 1);
  });
});

describe('withTempo around Chatterbox (no speed of its own)', { timeout: 120_000 }, () => {
  let engine: Engine;
  let bare: Engine;
  before(async () => {
    const spec = { kind: 'chatterbox', modelDir: await ensureTinyModel(), device: 'cpu', dtype: 'fp32', gpu: 0 } as const;
    engine = await createEngine(spec);
    bare = await createChatterboxEngine(spec);
  });
  after(async () => {
    await engine?.close();
    await bare?.close();
  });

  it('declares speed next to its own params', () => {
    assert.deepEqual(engine.info.params['speed'], { ...SPEED_PARAM });
    assert.ok(Object.hasOwn(engine.info.params, 'temperature'), Object.keys(engine.info.params).join(', '));
  });

  it('stretches the whole seeded utterance: exactly round(samples at 1 / speed), tokens counted as at speed 1', async () => {
    const atOne = await speak(engine, 1, 'Hello there, how are you today?', { seed: 3 });
    const samples = joinChunks(atOne).length;
    for (const speed of [0.5, 2, 4]) {
      const stretched = await speak(engine, speed, 'Hello there, how are you today?', { seed: 3 });
      assert.equal(joinChunks(stretched).length, Math.round(samples / speed), `speed ${speed}`);
      assert.equal(stretched.at(-1)?.tokens, atOne.at(-1)?.tokens, `speed ${speed}: tokens`);
    }
  });

  it("has no seams of its own: the streamed chunks stretched equal the engine's whole utterance stretched at once", async () => {
    const text = 'The quick brown fox jumps over the lazy dog while we stream it.';
    const whole = joinChunks(await collectChunks(bare, requestFor(bare, text, { params: { seed: 5 } })));
    for (const speed of [0.75, 3]) {
      const chunks = await speak(engine, speed, text, { seed: 5 });
      assert.ok(chunks.length > 2, `speed ${speed}: ${chunks.length} chunks`);
      const stretch = createTimeStretch({ sampleRateHz: engine.info.sampleRateHz, speed });
      const once = joinChunks([{ pcm: stretch.push(whole) }, { pcm: stretch.flush() }]);
      assert.deepEqual(joinChunks(chunks), once, `speed ${speed}`);
    }
  });
});

describe('withTempo around an engine that would refuse a speed param', () => {
  it('does not pass speed on to an engine that did not declare it', async () => {
    const seen: Array<Record<string, number>> = [];
    const inner: Engine = {
      info: {
        name: 'tone',
        sampleRateHz: 8000,
        voices: ['a'],
        defaultVoice: 'a',
        languages: ['en'],
        defaultLanguage: 'en',
        params: {},
        device: 'cpu',
        details: {},
      },
      async *synthesize(request) {
        seen.push(request.params);
        yield { pcm: new Float32Array(8000).fill(0.1) };
      },
      close: async () => undefined,
    };
    const engine = withTempo(inner);
    const chunks = await collectChunks(engine, requestFor(engine, 'x', { params: { speed: 2 } }));
    assert.deepEqual(seen, [{}]);
    assert.equal(joinChunks(chunks).length, 4000);
  });
});

describe('withTempo passes the rest of the engine through', () => {
  it('forwards forgetVoice and watchCapacity, and adds neither to an engine that lacks them', () => {
    const calls: string[] = [];
    const bare: Engine = {
      info: {
        name: 'fake',
        sampleRateHz: 16000,
        voices: ['a'],
        defaultVoice: 'a',
        languages: ['en'],
        defaultLanguage: 'en',
        params: {},
        device: 'cpu',
        details: {},
      },
      synthesize: () => (async function* () {})(),
      close: async () => {},
      forgetVoice: (name) => void calls.push(`forget ${name}`),
      watchCapacity: (listener) => {
        calls.push('watch');
        listener({ minTokensPerSec: 25, tokensPerSecByBatch: [[1, 30]] });
      },
    };
    const wrapped = withTempo(bare);
    wrapped.forgetVoice?.('b');
    const seen: number[] = [];
    wrapped.watchCapacity?.((capacity) => seen.push(capacity.tokensPerSecByBatch[0]![1]));
    assert.deepEqual(calls, ['forget b', 'watch']);
    assert.deepEqual(seen, [30]);
    const plain = withTempo({ info: bare.info, synthesize: bare.synthesize, close: bare.close });
    assert.equal(plain.forgetVoice, undefined);
    assert.equal(plain.watchCapacity, undefined);
  });
});
