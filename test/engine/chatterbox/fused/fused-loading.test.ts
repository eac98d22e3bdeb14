// Loading the fused decode graph: its on-disk cache, external weights referenced without copies, and the fallback to
// the step loop (with the reason) for a model the fused graph cannot wrap.
import assert from 'node:assert/strict';
import { cp, lstat, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { loadChatterboxModel, type LoadModelOptions } from '../../../../src/engine/chatterbox/chatterbox-model.js';
import { readModelFile, writeModelFile } from '../../../../src/engine/chatterbox/fused/onnx-proto-io.js';
import { TtsError } from '../../../../src/protocol/errors.js';
import { generationFor, tokensOf } from '../../../helpers/chatterbox.js';
import { createVoiceBank, listVoiceFiles } from '../../../../src/engine/chatterbox/voice-bank.js';
import { ensureTinyModel, type TinyModelOptions } from '../../../helpers/tiny-model.js';

async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const options = (decode: LoadModelOptions['decode'], fusedCacheDir: string): LoadModelOptions => ({
  dtype: 'fp32',
  device: 'cpu',
  gpu: 0,
  decode,
  fusedCacheDir,
});

async function greedyTokens(dir: string, load: LoadModelOptions): Promise<{ tokens: number[]; mode: string }> {
  const model = await loadChatterboxModel(dir, load);
  try {
    const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, undefined));
    const tiny = { dir, model, voices, voice: await voices.get(voices.defaultVoice) };
    const request = generationFor(tiny, 'External weights, one copy.', { seed: 3, temperature: 0, cfg_weight: 0.5 });
    return { tokens: await tokensOf(tiny, request), mode: model.decode.mode };
  } finally {
    await model.release();
  }
}

/** A private copy of a tiny model whose embed_tokens imports another opset than its language model. */
async function unwrappableModel(t: TestContext, tiny: TinyModelOptions = {}): Promise<string> {
  const dir = await tempDir(t, 'unwrappable-');
  await cp(await ensureTinyModel(tiny), dir, { recursive: true });
  const path = join(dir, 'onnx', 'embed_tokens.onnx');
  const model = readModelFile(path);
  for (const entry of model.opsetImport) if ((entry.domain ?? '') === '') entry.version = 18;
  writeModelFile(model, path);
  return dir;
}

describe('loading the fused decode graph', () => {
  it('caches the built graph and reuses it on the next load', async (t) => {
    const cacheDir = await tempDir(t, 'fused-cache-');
    const dir = await ensureTinyModel();
    const first = await loadChatterboxModel(dir, options('fused', cacheDir));
    await first.release();
    assert.match(first.decode.reason, /built at/);
    const second = await loadChatterboxModel(dir, options('fused', cacheDir));
    await second.release();
    assert.equal(second.fused?.reused, true);
    assert.equal(second.fused?.path, first.fused?.path);
    assert.match(second.decode.reason, /reused from/);
  });

  it('references external weights through links, and gives the step loop’s tokens', async (t) => {
    const cacheDir = await tempDir(t, 'fused-cache-');
    const dir = await ensureTinyModel({ externalData: true });
    const data = await readdir(join(dir, 'onnx'));
    assert.ok(data.includes('language_model.onnx_data'), 'the tiny model was written without external data');
    const fused = await greedyTokens(dir, options('fused', cacheDir));
    const step = await greedyTokens(dir, options('step', cacheDir));
    assert.equal(fused.mode, 'fused');
    assert.ok(step.tokens.length > 20);
    assert.deepEqual(fused.tokens, step.tokens);
    const [key] = await readdir(cacheDir);
    const files = await readdir(join(cacheDir, key!));
    const lmData = files.find((name) => name.startsWith('lm-') && name.endsWith('language_model.onnx_data'));
    assert.ok(lmData, `no link to language_model.onnx_data among ${files.join(', ')}`);
    const link = await lstat(join(cacheDir, key!, lmData));
    assert.ok(link.isSymbolicLink() || link.nlink > 1, 'the external weights were copied');
    const model = await stat(join(cacheDir, key!, 'decode.onnx'));
    const weights = await stat(join(dir, 'onnx', 'language_model.onnx_data'));
    assert.ok(model.size < weights.size, `decode.onnx (${model.size} B) holds the weights (${weights.size} B)`);
  });

  it("falls back to the step loop with the reason when it cannot wrap the model (decode 'auto')", async (t) => {
    const dir = await unwrappableModel(t);
    const cacheDir = await tempDir(t, 'fused-cache-');
    const model = await loadChatterboxModel(dir, options('auto', cacheDir));
    await model.release();
    assert.equal(model.decode.mode, 'step');
    assert.equal(model.fused, undefined);
    assert.ok(model.sessions.language_model);
    assert.match(model.decode.reason, /fused decode graph cannot be used: embed_tokens imports opset 18 and language_model opset 17/);
  });

  it("refuses to load with decode 'fused' when it cannot wrap the model, naming why", async (t) => {
    const dir = await unwrappableModel(t);
    const cacheDir = await tempDir(t, 'fused-cache-');
    await assert.rejects(loadChatterboxModel(dir, options('fused', cacheDir)), (err: unknown) => {
      assert.ok(err instanceof TtsError);
      assert.equal(err.code, 'ENGINE_FAILED');
      assert.match(err.message, /decode fused was requested but the fused decode graph cannot be used: embed_tokens imports opset 18/);
      return true;
    });
  });

  it('writes the graph beside the model when the cache directory cannot be written', async (t) => {
    const parent = await tempDir(t, 'fused-cache-');
    const blocker = join(parent, 'a-file');
    await writeFile(blocker, 'not a directory');
    const dir = await tempDir(t, 'model-copy-');
    await cp(await ensureTinyModel(), dir, { recursive: true });
    const model = await loadChatterboxModel(dir, options('auto', join(blocker, 'cache')));
    await model.release();
    assert.equal(model.decode.mode, 'fused');
    assert.equal(dirname(model.fused!.path), join(dir, 'onnx'));
  });
});

describe('the fused graph cache', () => {
  it('drops entries whose model is gone when it builds a new one', async (t) => {
    const cacheDir = await tempDir(t, 'fused-cache-');
    const gone = await tempDir(t, 'model-copy-');
    await cp(await ensureTinyModel(), gone, { recursive: true });
    const first = await loadChatterboxModel(gone, options('fused', cacheDir));
    await first.release();
    await rm(gone, { recursive: true, force: true });
    const second = await loadChatterboxModel(await ensureTinyModel(), options('fused', cacheDir));
    await second.release();
    assert.deepEqual(await readdir(cacheDir), [basename(dirname(second.fused!.path))]);
  });
});
