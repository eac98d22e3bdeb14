import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';

import { makeModel } from '../../src/model-gen/make-model.js';
import type { MakeModelOptions } from '../../src/model-gen/make-model.js';
import { emptyCache, maxAbsDiff, openGraph, runLm } from './ort-harness.js';

type Context = { after: (fn: () => Promise<void>) => void };

async function made(t: Context, options: Omit<MakeModelOptions, 'outDir'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'model-gen-make-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await makeModel({ ...options, outDir: dir });
  return dir;
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const GRAPHS = ['conditional_decoder', 'embed_tokens', 'language_model', 'speech_encoder'];
const GRAPH_FILES = GRAPHS.map((graph) => `onnx/${graph}.onnx`);

describe('makeModel', () => {
  test('English tiny: the onnx-community layout, a few MB, in well under 5 s', async (t) => {
    const started = performance.now();
    const dir = await made(t, { size: 'tiny', variant: 'english' });
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 5, `took ${seconds} s`);
    const list = await files(dir);
    const expected = ['default_voice.wav', 'generation_config.json', 'model-gen.json', ...GRAPH_FILES];
    expected.push('tokenizer.json');
    assert.deepEqual(list, expected);
    let bytes = 0;
    for (const file of list) bytes += (await stat(join(dir, file))).size;
    assert.ok(bytes < 16e6, `${bytes} bytes`);
  });

  test('Turbo tiny: no default voice (a reference is required) and no generation config', async (t) => {
    const dir = await made(t, { size: 'tiny', variant: 'turbo' });
    assert.deepEqual(await files(dir), ['model-gen.json', ...GRAPH_FILES, 'tokenizer.json']);
  });

  test('generation_config.json carries the documented English defaults', async (t) => {
    const dir = await made(t, { size: 'tiny', variant: 'english' });
    const config = JSON.parse(await readFile(join(dir, 'generation_config.json'), 'utf8'));
    assert.deepEqual(config, {
      bos_token_id: 6561,
      eos_token_id: 6562,
      do_sample: true,
      temperature: 0.8,
      min_p: 0.05,
      top_p: 1,
      repetition_penalty: 1.2,
      max_new_tokens: 1000,
      cfg_weight: 0.5,
      exaggeration: 0.5,
    });
  });

  test('default_voice.wav is 16-bit 24 kHz mono PCM, a few seconds, audible', async (t) => {
    const wav = await readFile(join(await made(t, { size: 'tiny', variant: 'english' }), 'default_voice.wav'));
    assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
    assert.equal(wav.toString('ascii', 8, 16), 'WAVEfmt ');
    const format = [wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)];
    assert.deepEqual(format, [1, 1, 24000, 16], 'PCM, mono, 24 kHz, 16 bits');
    assert.equal(wav.toString('ascii', 36, 40), 'data');
    const samples = wav.readUInt32LE(40) / 2;
    assert.equal(wav.length, 44 + samples * 2);
    assert.ok(samples >= 2 * 24000 && samples <= 10 * 24000);
    let peak = 0;
    for (let i = 0; i < samples; i++) peak = Math.max(peak, Math.abs(wav.readInt16LE(44 + 2 * i)));
    assert.ok(peak > 8000, `peak ${peak}`);
  });

  test('the same seed gives identical files; another seed other weights', async (t) => {
    const a = await made(t, { size: 'tiny', variant: 'english', seed: 5 });
    const b = await made(t, { size: 'tiny', variant: 'english', seed: 5 });
    const c = await made(t, { size: 'tiny', variant: 'english', seed: 6 });
    for (const file of await files(a)) {
      assert.ok((await readFile(join(a, file))).equals(await readFile(join(b, file))), file);
    }
    const lm = 'onnx/language_model.onnx';
    assert.ok(!(await readFile(join(a, lm))).equals(await readFile(join(c, lm))));
    assert.ok((await readFile(join(a, 'tokenizer.json'))).equals(await readFile(join(c, 'tokenizer.json'))));
  });

  test('external data: .onnx_data beside each graph, same results as inline weights', async (t) => {
    const external = await made(t, { size: 'tiny', variant: 'english', externalData: true });
    const inline = await made(t, { size: 'tiny', variant: 'english' });
    const list = await files(external);
    for (const graph of GRAPH_FILES) assert.ok(list.includes(`${graph}_data`), `${graph}_data`);
    const shape = { batch: 1, seq: 4, hidden: 64 };
    const input = Float32Array.from({ length: 4 * 64 }, (_, i) => Math.sin(i));
    const logits = async (dir: string) => {
      const lm = await openGraph(dir, 'language_model');
      return (await runLm(lm, input, shape, emptyCache(lm, 1), 0)).logits!.data as Float32Array;
    };
    assert.equal(maxAbsDiff(await logits(external), await logits(inline)), 0);
  });
});
