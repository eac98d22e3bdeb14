import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { AudioChunk, Engine } from '../../../src/engine/engine.js';
import { createFliteEngine } from '../../../src/engine/flite/flite-engine.js';
import { TtsError } from '../../../src/protocol/errors.js';
import { joinChunks } from '../contract.js';

// Regressions: one unbroken "word" of thousands of characters ran as one flite call of 16–35 s that nothing could
// cancel, emoji×5000 took 13 s for 0.2 s of audio, and '.'×5000 crashed flite ("flite crashed", retryable).

const seconds = (pcm: Float32Array) => pcm.length / 16_000;
const request = (text: string) => ({ text, voice: 'slt', language: 'en', params: { speed: 1 } });

/** Pulls at most `limit` chunks, then aborts and pulls on: returns the chunks before and after the abort. */
async function firstChunksThenAbort(engine: Engine, text: string, limit: number): Promise<{ before: AudioChunk[]; after: AudioChunk[] }> {
  const abort = new AbortController();
  const before: AudioChunk[] = [];
  const afterAbort: AudioChunk[] = [];
  for await (const chunk of engine.synthesize(request(text), abort.signal)) {
    if (abort.signal.aborted) afterAbort.push(chunk);
    else before.push(chunk);
    if (before.length === limit) abort.abort();
  }
  return { before, after: afterAbort };
}

async function speakAll(engine: Engine, text: string): Promise<Float32Array> {
  const chunks: AudioChunk[] = [];
  for await (const chunk of engine.synthesize(request(text), new AbortController().signal)) chunks.push(chunk);
  return joinChunks(chunks);
}

describe('flite on pathological text', async () => {
  // One chunk per flite run, so a chunk's length is the audio (and so the work) of one synchronous run.
  const perRun = await createFliteEngine({ maxChunkMs: 600_000 });
  const engine = await createFliteEngine();
  after(() => Promise.all([perRun.close(), engine.close()]));

  const heavy: Array<[string, string]> = [
    ['9×4000', '9'.repeat(4000)],
    ['a×5000', 'a'.repeat(5000)],
    ['consonants×5000', 'xkcdqrst'.repeat(625)],
    ['$×3000', '$'.repeat(3000)],
    ['digits with spaces', '9 '.repeat(2000)],
  ];
  for (const [name, text] of heavy) {
    it(`${name}: every flite run is short (at most 10 s of audio), and the cancel stops it at once`, async () => {
      const { before, after: late } = await firstChunksThenAbort(perRun, text, 4);
      assert.equal(before.length, 4, 'the text is spoken in several runs');
      for (const { pcm } of before) assert.ok(seconds(pcm) > 0.3 && seconds(pcm) <= 10, `one run made ${seconds(pcm).toFixed(1)} s`);
      assert.equal(late.length, 0, 'no chunk after the abort');
    });
  }

  it('a cancel after the first audio ends the stream before the next chunk, on the default chunking too', async () => {
    const { before, after: late } = await firstChunksThenAbort(engine, '9'.repeat(4000), 1);
    assert.equal(before.length, 1);
    assert.equal(late.length, 0);
  });

  for (const [name, text] of [
    ['emoji×5000', '😀'.repeat(5000)],
    ['.×5000', '.'.repeat(5000)],
    ['emoji and periods', '😀.'.repeat(2500)],
  ] as const) {
    it(`${name}: one short silence, no error (nothing in it is speakable)`, async () => {
      const audio = await speakAll(engine, text);
      assert.ok(audio.length > 0 && seconds(audio) < 1, `${seconds(audio).toFixed(2)} s`);
    });
  }

  it('emoji around words: the words are spoken, the emoji runs cost nothing', async () => {
    const words = await speakAll(engine, 'Hello there. Good morning.');
    const padded = await speakAll(engine, `${'😀'.repeat(2000)} Hello there. ${'😀'.repeat(2000)} Good morning. ${'🎉'.repeat(900)}`);
    assert.ok(Math.abs(seconds(padded) - seconds(words)) < 0.5, `${seconds(padded).toFixed(2)} s against ${seconds(words).toFixed(2)} s`);
  });

  it('a text flite traps on is TEXT_UNSPEAKABLE: not retryable, and the message names no wasm internals', async (t) => {
    // Pieces as long as the text, so flite itself gets the 5000 periods it traps on.
    const unbounded = await createFliteEngine({ maxSentenceChars: 10_000 });
    t.after(() => unbounded.close());
    await assert.rejects(speakAll(unbounded, '.'.repeat(5000)), (err: unknown) => {
      assert.ok(err instanceof TtsError);
      assert.equal(err.code, 'TEXT_UNSPEAKABLE');
      assert.equal(err.retryable, false);
      assert.doesNotMatch(err.message, /memory|wasm|out of bounds/i);
      return true;
    });
    assert.ok((await speakAll(unbounded, 'Still fine.')).length > 0, 'the engine speaks on after the trap');
  });
});
