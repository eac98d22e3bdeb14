import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { findModelFiles, GRAPH_NAMES, type ModelDtype } from '../../../src/engine/onnx/model-files.js';

/** A directory holding empty files at `paths` (findModelFiles only looks for names). */
async function layout(t: TestContext, paths: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'model-files-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'onnx'));
  for (const path of paths) await writeFile(join(dir, path), '');
  return dir;
}

const graphs = (suffix = '') => GRAPH_NAMES.map((name) => `onnx/${name}${suffix}.onnx`);

describe('findModelFiles', () => {
  it('finds a complete fp32 export and its optional files', async (t) => {
    const dir = await layout(t, [...graphs(), 'tokenizer.json', 'default_voice.wav', 'generation_config.json']);
    const { files, problems } = findModelFiles(dir, 'fp32');
    assert.deepEqual(problems, []);
    for (const name of GRAPH_NAMES) assert.deepEqual(files.graphs[name], { path: join(dir, 'onnx', `${name}.onnx`), dtype: 'fp32' });
    assert.equal(files.tokenizer, join(dir, 'tokenizer.json'));
    assert.equal(files.defaultVoice, join(dir, 'default_voice.wav'));
    assert.equal(files.generationConfig, join(dir, 'generation_config.json'));
  });

  it('leaves the optional files undefined without calling them problems (Turbo has no default voice)', async (t) => {
    const { files, problems } = findModelFiles(await layout(t, [...graphs(), 'tokenizer.json']), 'fp32');
    assert.deepEqual(problems, []);
    assert.equal(files.defaultVoice, undefined);
    assert.equal(files.generationConfig, undefined);
  });

  const suffixes: Array<[ModelDtype, string]> = [
    ['fp16', '_fp16'],
    ['q8', '_quantized'],
    ['q4', '_q4'],
    ['q4f16', '_q4f16'],
  ];
  for (const [dtype, suffix] of suffixes) {
    it(`${dtype} picks *${suffix}.onnx where present and falls back to fp32 per graph`, async (t) => {
      const dir = await layout(t, [...graphs(), `onnx/language_model${suffix}.onnx`, `onnx/embed_tokens${suffix}.onnx`, 'tokenizer.json']);
      const { files, problems } = findModelFiles(dir, dtype);
      assert.deepEqual(problems, []);
      assert.deepEqual(files.graphs.language_model, { path: join(dir, 'onnx', `language_model${suffix}.onnx`), dtype });
      assert.deepEqual(files.graphs.embed_tokens, { path: join(dir, 'onnx', `embed_tokens${suffix}.onnx`), dtype });
      assert.deepEqual(files.graphs.speech_encoder, { path: join(dir, 'onnx', 'speech_encoder.onnx'), dtype: 'fp32' });
      assert.deepEqual(files.graphs.conditional_decoder, { path: join(dir, 'onnx', 'conditional_decoder.onnx'), dtype: 'fp32' });
    });
  }

  it('an fp16-only export serves fp16 but not fp32', async (t) => {
    const dir = await layout(t, [...graphs('_fp16'), 'tokenizer.json']);
    assert.deepEqual(findModelFiles(dir, 'fp16').problems, []);
    assert.deepEqual(
      findModelFiles(dir, 'fp32').problems,
      GRAPH_NAMES.map((name) => `missing onnx/${name}.onnx`),
    );
  });

  it('lists every missing file, naming both candidates for a variant dtype', async (t) => {
    const dir = await layout(t, ['onnx/embed_tokens.onnx', 'onnx/conditional_decoder_q4.onnx']);
    const { files, problems } = findModelFiles(dir, 'q4');
    assert.deepEqual(problems, [
      'missing onnx/speech_encoder_q4.onnx (and onnx/speech_encoder.onnx)',
      'missing onnx/language_model_q4.onnx (and onnx/language_model.onnx)',
      'missing tokenizer.json',
    ]);
    assert.deepEqual(Object.keys(files.graphs).sort(), ['conditional_decoder', 'embed_tokens']);
    assert.equal(files.tokenizer, undefined);
  });

  it('says a file or a missing path is not a directory', async (t) => {
    const dir = await layout(t, ['tokenizer.json']);
    for (const path of [join(dir, 'tokenizer.json'), join(dir, 'absent')]) {
      const { files, problems } = findModelFiles(path, 'fp32');
      assert.deepEqual(problems, [`${path} is not a directory`]);
      assert.deepEqual(files.graphs, {});
    }
  });
});
