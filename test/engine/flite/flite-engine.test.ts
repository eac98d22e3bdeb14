import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AudioChunk, Engine } from '../../../src/engine/engine.js';
import { createFliteEngine } from '../../../src/engine/flite/flite-engine.js';
import { TtsError } from '../../../src/protocol/errors.js';
import { collectChunks, joinChunks as concat } from '../contract.js';

const HELLO = 'Hello world. This is a test.';
const PARAGRAPH =
  'The quick brown fox jumps over the lazy dog. Speech synthesis has come a long way since the early days, ' +
  'and many systems now sound natural. Would you like to hear more? I certainly would!';

function collect(engine: Engine, text: string, voice = 'slt', speed = 1, signal = new AbortController().signal): Promise<AudioChunk[]> {
  return collectChunks(engine, { text, voice, language: 'en', params: { speed } }, signal);
}

/** RMS in dBFS over the 20 ms frames louder than -40 dBFS, so pauses do not dilute it. */
function speechLevelDb(samples: Float32Array): number {
  const frame = 320;
  let sum = 0;
  let frames = 0;
  for (let start = 0; start + frame <= samples.length; start += frame) {
    let energy = 0;
    for (let i = start; i < start + frame; i++) energy += samples[i]! ** 2;
    energy /= frame;
    if (energy > 1e-4) {
      sum += energy;
      frames++;
    }
  }
  return frames === 0 ? -Infinity : 10 * Math.log10(sum / frames);
}

const seconds = (samples: Float32Array) => samples.length / 16_000;
const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** A tiny WASI command module whose `_start` calls proc_exit(code), or traps when code is 'trap'. */
function commandModule(code: number | 'trap'): Uint8Array {
  const name = (text: string) => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const body = code === 'trap' ? [0x00, 0x00, 0x0b] : [0x00, 0x41, code, 0x10, 0x00, 0x0b];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [2, 0x60, 1, 0x7f, 0, 0x60, 0, 0]), // types: (i32) -> (), () -> ()
    ...section(2, [1, ...name('wasi_snapshot_preview1'), ...name('proc_exit'), 0x00, 0]),
    ...section(3, [1, 1]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('_start'), 0x00, 1]),
    ...section(10, [1, body.length, ...body]),
  ]);
}

describe('createFliteEngine', async () => {
  const engine = await createFliteEngine();
  after(() => engine.close());

  it('describes itself', () => {
    assert.deepEqual(engine.info, {
      name: 'flite',
      sampleRateHz: 16_000,
      voices: ['slt', 'rms', 'awb', 'kal16'],
      defaultVoice: 'slt',
      languages: ['en'],
      defaultLanguage: 'en',
      params: { speed: { min: 0.5, max: 2, default: 1 } },
      device: 'cpu (wasm)',
      details: {},
    });
  });

  it('yields audible speech sentence by sentence, of a plausible length', async () => {
    const chunks = await collect(engine, HELLO);
    assert.ok(chunks.length >= 2, `${chunks.length} chunks`);
    for (const { pcm } of chunks) {
      assert.ok(pcm instanceof Float32Array && pcm.length > 0);
      assert.equal(pcm.byteOffset, 0, 'each chunk owns its buffer');
      assert.equal(pcm.byteLength, pcm.buffer.byteLength, 'each chunk owns its buffer');
      assert.ok(pcm.every((s) => Number.isFinite(s) && s >= -1 && s <= 1));
    }
    const audio = concat(chunks);
    assert.ok(speechLevelDb(audio) > -30, `level ${speechLevelDb(audio)} dBFS`);
    const perWord = seconds(audio) / wordCount(HELLO);
    assert.ok(perWord > 0.15 && perWord < 1, `${perWord} s per word`);
    const firstSound = audio.findIndex((s) => Math.abs(s) > 1e-3);
    assert.ok(firstSound / 16_000 <= 0.06, `leading silence ${firstSound / 16_000} s`);
  });

  it('keeps chunks to about a second of audio', async () => {
    const chunks = await collect(engine, PARAGRAPH);
    for (const { pcm } of chunks) assert.ok(seconds(pcm) <= 1.01, `chunk of ${seconds(pcm)} s`);
  });

  for (const voice of ['slt', 'rms', 'awb', 'kal16']) {
    it(`speaks with voice ${voice}`, async () => {
      const audio = concat(await collect(engine, HELLO, voice));
      assert.ok(speechLevelDb(audio) > -30, `level ${speechLevelDb(audio)} dBFS`);
      const perWord = seconds(audio) / wordCount(HELLO);
      assert.ok(perWord > 0.15 && perWord < 1, `${perWord} s per word`);
    });
  }

  it('makes every voice about as loud as slt, kal16 included', async () => {
    const reference = speechLevelDb(concat(await collect(engine, PARAGRAPH, 'slt')));
    for (const voice of ['rms', 'awb', 'kal16']) {
      const level = speechLevelDb(concat(await collect(engine, PARAGRAPH, voice)));
      assert.ok(Math.abs(level - reference) < 3, `${voice} at ${level.toFixed(1)} dBFS, slt at ${reference.toFixed(1)} dBFS`);
    }
  });

  it('speaks faster at a higher speed', async () => {
    for (const voice of ['slt', 'kal16']) {
      const slow = seconds(concat(await collect(engine, HELLO, voice, 0.5)));
      const fast = seconds(concat(await collect(engine, HELLO, voice, 2)));
      assert.ok(slow > fast * 2.5, `${voice}: ${slow} s at speed 0.5, ${fast} s at speed 2`);
    }
  });

  it('stops within one chunk of an abort', async () => {
    const text = Array.from({ length: 10 }, (_, i) => `This is sentence number ${i + 1}.`).join(' ');
    const controller = new AbortController();
    let afterAbort = 0;
    for await (const chunk of engine.synthesize({ text, voice: 'slt', language: 'en', params: { speed: 1 } }, controller.signal)) {
      assert.ok(chunk.pcm.length > 0);
      if (controller.signal.aborted) afterAbort++;
      else controller.abort();
    }
    assert.ok(afterAbort <= 1, `${afterAbort} chunks after the abort`);
    assert.equal((await collect(engine, text, 'slt', 1, AbortSignal.abort())).length, 0, 'an aborted signal yields nothing');
  });

  it('lets other work in the thread run between sentences', async () => {
    const text = Array.from({ length: 6 }, (_, i) => `Sentence ${i + 1} is here.`).join(' ');
    let ticked = false;
    setImmediate(() => {
      ticked = true;
    });
    const tickedAt: boolean[] = [];
    for await (const chunk of engine.synthesize({ text, voice: 'kal16', language: 'en', params: { speed: 1 } }, new AbortController().signal)) {
      assert.ok(chunk.pcm.length > 0);
      tickedAt.push(ticked);
    }
    assert.equal(tickedAt.at(-1), true, 'a setImmediate callback ran before the last chunk');
  });

  it('survives 30 syntheses in one process (node:wasi crashed here, nodejs/node#52402)', async () => {
    for (let i = 0; i < 30; i++) {
      const audio = concat(await collect(engine, `Run ${i}. Still alive.`, engine.info.voices[i % 4]));
      assert.ok(speechLevelDb(audio) > -30);
    }
  });

  it('speaks or skips unusual text without failing', async () => {
    const texts = [
      'Café — naïve façade… “quoted” ¿qué? ¡sí!',
      '😀🎉 emoji only 👍',
      '日本語のテキスト。中文。',
      '... !!! ??? ,,, ;;; —',
      '-t -o /etc/passwd --help -voice awb',
      '$1,234.56 at 3:45pm on 12/25/2023, e.g. Dr. Smith & co. <b>bold</b> {json: [1, 2]}',
      'tab\there\u0000nul\u0007bell\r\nnew line\u2028separator',
    ];
    for (const text of texts) {
      for (const chunk of await collect(engine, text)) assert.ok(chunk.pcm.every((s) => Number.isFinite(s) && Math.abs(s) <= 1));
    }
    const afterNul = concat(await collect(engine, '\u0000Hello there.'));
    assert.ok(seconds(afterNul) > 0.5, 'a control character does not cut the text short');
  });

  it('rejects bad requests with their error codes', async () => {
    const cases: Array<[Parameters<Engine['synthesize']>[0], string]> = [
      [{ text: 'Hi.', voice: 'kal', language: 'en', params: { speed: 1 } }, 'UNKNOWN_VOICE'],
      [{ text: 'Hi.', voice: '/tmp/evil.flitevox', language: 'en', params: { speed: 1 } }, 'UNKNOWN_VOICE'],
      [{ text: 'Hi.', voice: 'slt', language: 'en', params: { speed: 3 } }, 'BAD_PARAM'],
      [{ text: 'Hi.', voice: 'slt', language: 'en', params: { speed: Number.NaN } }, 'BAD_PARAM'],
      [{ text: ' \n\t ', voice: 'slt', language: 'en', params: { speed: 1 } }, 'TEXT_EMPTY'],
    ];
    for (const [request, code] of cases) {
      await assert.rejects(
        (async () => {
          for await (const chunk of engine.synthesize(request, new AbortController().signal)) assert.ok(chunk);
        })(),
        (err: unknown) => err instanceof TtsError && err.code === code,
        code,
      );
    }
  });

  it('refuses to synthesize once closed', async () => {
    const closing = await createFliteEngine();
    await closing.close();
    await assert.rejects(collect(closing, HELLO), (err: unknown) => err instanceof TtsError && err.code === 'NOT_READY');
  });

  it('fails with ENGINE_FAILED when flite cannot load, exits non-zero or traps', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'flite-test-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const cases: Array<[string, Uint8Array | undefined, RegExp]> = [
      ['missing.wasm', undefined, /cannot load flite/],
      ['not-wasm.wasm', new TextEncoder().encode('not wasm'), /cannot load flite/],
      ['exit-7.wasm', commandModule(7), /exited with code 7/],
      ['trap.wasm', commandModule('trap'), /crashed/],
    ];
    for (const [file, bytes, message] of cases) {
      const wasmPath = join(dir, file);
      if (bytes) await writeFile(wasmPath, bytes);
      await assert.rejects(
        createFliteEngine({ wasmPath }),
        (err: unknown) => err instanceof TtsError && err.code === 'ENGINE_FAILED' && message.test(err.message),
        file,
      );
    }
  });

  it('regression: a flite run that fails is not retryable, since the same text fails the same way everywhere', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'flite-test-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const wasmPath = join(dir, 'exit-7.wasm');
    await writeFile(wasmPath, commandModule(7));
    await assert.rejects(
      createFliteEngine({ wasmPath }),
      (err: unknown) => err instanceof TtsError && /exited with code 7/.test(err.message) && err.retryable === false,
    );
  });

  it('refuses a negative or non-numeric idleCollectMs before loading anything', async () => {
    for (const idleCollectMs of [-1, Number.NaN]) await assert.rejects(createFliteEngine({ idleCollectMs }), RangeError);
  });
});
