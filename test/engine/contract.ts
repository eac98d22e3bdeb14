// The contract every Engine passes, whatever model is behind it: what the transport relies on.
// Each engine's *-contract.test.ts calls runEngineContract once per configuration.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rms } from '../../src/audio/pcm.js';
import type { AudioChunk, Engine, SynthesisRequest } from '../../src/engine/engine.js';
import { resolveRequest } from '../../src/engine/resolve-request.js';
import { TtsError } from '../../src/protocol/errors.js';

/** One sentence: enough for several chunks from every engine. */
export const CONTRACT_SENTENCE = 'Hello world, this is a test of the engine.';
/** Several sentences: enough chunks that an abort after the first one leaves most of them unsent. */
export const CONTRACT_PASSAGE = ['The first sentence is here.', 'Then comes a second one.', 'A third follows it closely.', 'And this is the fourth.'].join(' ');

/** A request for the engine's default voice and parameter defaults. */
export function requestFor(engine: Engine, text: string, asked: Partial<Omit<SynthesisRequest, 'text'>> = {}): SynthesisRequest {
  return resolveRequest({ text, voice: asked.voice, language: asked.language, params: asked.params }, engine.info, Number.MAX_SAFE_INTEGER);
}

/**
 * The contract's request: seeded (seed 1) on engines that take a seed, so what a test hears does not change from run
 * to run (a tiny generated model with random weights stops after a few tokens for some seeds).
 */
function contractRequest(engine: Engine, text: string): SynthesisRequest {
  return requestFor(engine, text, { params: 'seed' in engine.info.params ? { seed: 1 } : {} });
}

/** Every chunk of one synthesis. */
export async function collectChunks(engine: Engine, request: SynthesisRequest, signal = new AbortController().signal): Promise<AudioChunk[]> {
  const chunks: AudioChunk[] = [];
  for await (const chunk of engine.synthesize(request, signal)) chunks.push(chunk);
  return chunks;
}

/** The chunks' samples, in order, as one array. */
export function joinChunks(chunks: readonly AudioChunk[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.pcm.length, 0));
  let offset = 0;
  for (const { pcm } of chunks) {
    out.set(pcm, offset);
    offset += pcm.length;
  }
  return out;
}

/** Well below any engine's speech level, well above silence and rounding noise. */
const AUDIBLE_RMS = 0.005;

/**
 * Runs the shared engine contract against engines made by `createEngine` (one for the suite, one more to test
 * close). The engine must speak CONTRACT_SENTENCE in several chunks and CONTRACT_PASSAGE in at least three.
 */
export function runEngineContract(name: string, createEngine: () => Promise<Engine>): void {
  describe(`engine contract: ${name}`, { timeout: 60_000 }, () => {
    let engine: Engine;
    before(async () => {
      engine = await createEngine();
    });
    after(() => engine?.close());

    it('describes itself: a positive sample rate, the default voice among the voices, defaults within range', () => {
      const { info } = engine;
      assert.ok(typeof info.name === 'string' && info.name.length > 0, 'name');
      assert.ok(Number.isInteger(info.sampleRateHz) && info.sampleRateHz > 0, `sampleRateHz ${info.sampleRateHz}`);
      assert.ok(info.voices.length > 0, 'at least one voice');
      assert.equal(new Set(info.voices).size, info.voices.length, 'voice names are unique');
      assert.ok(info.voices.includes(info.defaultVoice), `default voice '${info.defaultVoice}' is in ${info.voices.join(', ')}`);
      for (const [param, spec] of Object.entries(info.params)) {
        assert.ok(Number.isFinite(spec.min) && Number.isFinite(spec.max) && spec.min <= spec.max, `${param}: range ${spec.min}..${spec.max}`);
        assert.ok(spec.default >= spec.min && spec.default <= spec.max, `${param}: default ${spec.default} outside ${spec.min}..${spec.max}`);
        if (spec.integer === true) assert.ok(Number.isInteger(spec.default), `${param}: integer param with default ${spec.default}`);
      }
      assert.ok(typeof info.device === 'string' && info.device.length > 0, 'device');
      for (const [key, value] of Object.entries(info.details)) assert.equal(typeof value, 'string', `details.${key}`);
    });

    it('speaks a sentence: non-empty chunks of finite samples in [-1, 1], audible as a whole', async () => {
      const chunks = await collectChunks(engine, contractRequest(engine, CONTRACT_SENTENCE));
      assert.ok(chunks.length >= 1, 'at least one chunk');
      let tokensBefore = 0;
      for (const [index, { pcm, tokens }] of chunks.entries()) {
        assert.ok(pcm instanceof Float32Array, `chunk ${index} is a Float32Array`);
        assert.ok(pcm.length > 0, `chunk ${index} is empty`);
        const bad = pcm.findIndex((s) => !Number.isFinite(s) || s < -1 || s > 1);
        assert.equal(bad, -1, `chunk ${index} sample ${bad} is ${pcm[bad]}`);
        if (tokens !== undefined) {
          assert.ok(Number.isInteger(tokens) && tokens >= tokensBefore && tokens > 0, `chunk ${index}: tokens ${tokens} after ${tokensBefore}`);
          tokensBefore = tokens;
        }
      }
      const audio = joinChunks(chunks);
      assert.ok(rms(audio) > AUDIBLE_RMS, `rms ${rms(audio)}`);
      assert.ok(audio.length / engine.info.sampleRateHz > 0.5, `${audio.length} samples is under half a second`);
    });

    it('stops promptly on an abort mid-stream: at most one more chunk, far fewer than a full run', async () => {
      const request = contractRequest(engine, CONTRACT_PASSAGE);
      const full = await collectChunks(engine, request);
      assert.ok(full.length >= 3, `the passage gives ${full.length} chunks: too few for this test to mean anything`);
      const controller = new AbortController();
      let before = 0;
      let afterAbort = 0;
      for await (const chunk of engine.synthesize(request, controller.signal)) {
        assert.ok(chunk.pcm.length > 0);
        if (controller.signal.aborted) afterAbort++;
        else {
          before++;
          controller.abort();
        }
      }
      assert.equal(before, 1);
      assert.ok(afterAbort <= 1, `${afterAbort} chunks after the abort`);
    });

    it('yields nothing for a signal aborted before the start', async () => {
      const chunks = await collectChunks(engine, contractRequest(engine, CONTRACT_PASSAGE), AbortSignal.abort());
      assert.equal(chunks.length, 0);
    });

    it('completes two concurrent requests, each with its own audio', async () => {
      const [first, second] = await Promise.all([
        collectChunks(engine, contractRequest(engine, CONTRACT_SENTENCE)),
        collectChunks(engine, contractRequest(engine, CONTRACT_PASSAGE)),
      ]);
      for (const chunks of [first, second]) {
        assert.ok(chunks.length >= 1);
        assert.ok(rms(joinChunks(chunks)) > AUDIBLE_RMS);
      }
    });

    it('rejects an unknown voice with UNKNOWN_VOICE', async () => {
      const request: SynthesisRequest = { ...contractRequest(engine, CONTRACT_SENTENCE), voice: 'no-such-voice' };
      await assert.rejects(collectChunks(engine, request), (err: unknown) => err instanceof TtsError && err.code === 'UNKNOWN_VOICE');
    });

    it('closes: close() resolves, twice, and a request afterwards is refused with NOT_READY', async () => {
      const closing = await createEngine();
      const request = contractRequest(closing, CONTRACT_SENTENCE);
      await closing.close();
      await closing.close();
      await assert.rejects(collectChunks(closing, request), (err: unknown) => err instanceof TtsError && err.code === 'NOT_READY');
    });
  });
}
