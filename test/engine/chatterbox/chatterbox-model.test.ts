import assert from 'node:assert/strict';
import { copyFile, cp, mkdtemp, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { createChatterboxEngine } from '../../../src/engine/chatterbox/chatterbox-engine.js';
import { loadChatterboxModel, type ChatterboxModel } from '../../../src/engine/chatterbox/chatterbox-model.js';
import { TOKENS } from '../../../src/engine/chatterbox/text-tokenizer.js';
import { createVoiceBank, listVoiceFiles } from '../../../src/engine/chatterbox/voice-bank.js';
import type { ModelDtype } from '../../../src/engine/onnx/model-files.js';
import { TtsError } from '../../../src/protocol/errors.js';
import { generationFor, tokensOf } from '../../helpers/chatterbox.js';
import { runChatterboxCli } from '../../helpers/cli.js';
import { ensureTinyModel, type TinyModelOptions } from '../../helpers/tiny-model.js';

/** A private copy of a tiny model directory, removed after the test. */
async function copyOfTinyModel(t: TestContext, options: TinyModelOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chatterbox-model-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(await ensureTinyModel(options), dir, { recursive: true });
  return dir;
}

const load = (dir: string, dtype: ModelDtype = 'fp32') => loadChatterboxModel(dir, { dtype, device: 'cpu', gpu: 0 });

/** Asserts loading fails with one ENGINE_FAILED error naming each expected problem; returns its problem lines. */
async function assertUnusable(dir: string, expected: Array<string | RegExp>, dtype: ModelDtype = 'fp32'): Promise<string[]> {
  let error: unknown;
  try {
    const model = await load(dir, dtype);
    await model.release();
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof TtsError, `expected a TtsError, got ${String(error)}`);
  assert.equal(error.code, 'ENGINE_FAILED');
  assert.ok(error.message.startsWith(`${dir} is not a usable Chatterbox model (${dtype})`), error.message);
  const problems = error.message
    .split('\n')
    .slice(1)
    .map((line) => line.replace(/^\s+- /u, ''));
  for (const want of expected) {
    assert.ok(
      problems.some((p) => (typeof want === 'string' ? p.includes(want) : want.test(p))),
      `no problem matching ${String(want)} in:\n${error.message}`,
    );
  }
  return problems;
}

interface Breakage {
  apply(dir: string): Promise<void>;
  /** What the error must say about it. */
  expected: Array<string | RegExp>;
}

const BREAKAGES: Record<string, Breakage> = {
  missingGraph: {
    apply: (dir: string) => unlink(join(dir, 'onnx', 'speech_encoder.onnx')),
    expected: ['missing onnx/speech_encoder.onnx'],
  },
  truncatedGraph: {
    apply: async (dir: string) => {
      const path = join(dir, 'onnx', 'language_model.onnx');
      await truncate(path, Math.floor((await stat(path)).size / 2));
    },
    expected: [/^language_model: cannot load .*language_model\.onnx/u],
  },
  wrongGraph: {
    apply: (dir: string) => copyFile(join(dir, 'onnx', 'embed_tokens.onnx'), join(dir, 'onnx', 'conditional_decoder.onnx')),
    expected: [
      "conditional_decoder: missing input 'speech_tokens'",
      "conditional_decoder: missing input 'speaker_embeddings'",
      "conditional_decoder: missing input 'speaker_features'",
      "conditional_decoder: missing output 'waveform'",
    ],
  },
  missingTokenizer: {
    apply: (dir: string) => unlink(join(dir, 'tokenizer.json')),
    expected: ['missing tokenizer.json'],
  },
};

describe('loadChatterboxModel', { timeout: 60_000 }, () => {
  it('loads a good directory and reports what the generation loop needs', async () => {
    const model = await load(await ensureTinyModel());
    try {
      assert.equal(model.variant, 'english');
      assert.equal(model.device, 'cpu');
      assert.equal(model.provider, 'cpu');
      assert.deepEqual(model.lm, {
        layers: 2,
        kvHeads: 4,
        headDim: 16,
        hidden: 64,
        vocab: 8194,
        cacheType: 'float32',
        embedsType: 'float32',
        hasPositionIds: false,
      });
      assert.deepEqual(model.embed, { hasPositionIds: true, hasExaggeration: true });
      assert.equal(model.tokenizer.wrapsPrompt, true);
      assert.ok(model.files.defaultVoice?.endsWith('default_voice.wav'));
      assert.equal(model.generationDefaults.cfg_weight, 0.5);
      assert.deepEqual(model.ignoredConfig, []);
    } finally {
      await model.release();
    }
  });

  const variants: Array<[string, TinyModelOptions, Partial<ChatterboxModel>, { positionIds: boolean; vocab: number; exaggeration: boolean }]> = [
    ['English', {}, { variant: 'english' }, { positionIds: false, vocab: 8194, exaggeration: true }],
    ['English with position_ids', { positionIds: true }, { variant: 'english' }, { positionIds: true, vocab: 8194, exaggeration: true }],
    ['Turbo', { variant: 'turbo' }, { variant: 'turbo' }, { positionIds: true, vocab: 6563, exaggeration: false }],
  ];
  for (const [name, options, { variant }, want] of variants) {
    it(`detects ${name}: variant ${variant}, position_ids ${want.positionIds ? 'input' : 'from the mask'}`, async () => {
      const model = await load(await ensureTinyModel(options));
      try {
        assert.equal(model.variant, variant);
        assert.equal(model.lm.hasPositionIds, want.positionIds);
        assert.equal(model.lm.vocab, want.vocab);
        assert.equal(model.embed.hasExaggeration, want.exaggeration);
      } finally {
        await model.release();
      }
    });
  }

  it('detects a multilingual tokenizer ([fr], [de] tokens) and prefixes the language', async (t) => {
    const dir = await copyOfTinyModel(t);
    const path = join(dir, 'tokenizer.json');
    const json = JSON.parse(await readFile(path, 'utf8')) as { added_tokens: Array<Record<string, unknown>>; model: { vocab: Record<string, number> } };
    for (const [placeholder, code] of [
      ['[PLACEHOLDER702]', '[fr]'],
      ['[PLACEHOLDER703]', '[de]'],
    ] as const) {
      const id = json.model.vocab[placeholder]!;
      delete json.model.vocab[placeholder];
      json.model.vocab[code] = id;
      json.added_tokens.push({ id, content: code, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    }
    await writeFile(path, JSON.stringify(json));
    const model = await load(dir);
    try {
      assert.equal(model.variant, 'multilingual');
      assert.deepEqual(model.tokenizer.languages, ['de', 'fr'], 'the languages come from the [xx] tokens');
      const { ids } = model.tokenizer.encode('Bonjour.', 'fr');
      assert.deepEqual(ids.slice(0, 3), [TOKENS.exaggeration, TOKENS.startText, json.model.vocab['[fr]']]);
    } finally {
      await model.release();
    }
    const engine = await createChatterboxEngine({ kind: 'chatterbox', modelDir: dir, device: 'cpu', dtype: 'fp32', gpu: 0 });
    try {
      assert.deepEqual(engine.info.languages, ['de', 'fr']);
      assert.equal(engine.info.defaultLanguage, 'de', 'without [en], the first language is the default');
      const chunks = [];
      for await (const chunk of engine.synthesize(
        { text: 'Bonjour.', voice: 'default', language: 'fr', params: { temperature: 0, max_new_tokens: 12 } },
        new AbortController().signal,
      ))
        chunks.push(chunk);
      assert.ok(chunks.length > 0, 'a French request speaks');
    } finally {
      await engine.close();
    }
  });

  for (const [name, breakage] of Object.entries(BREAKAGES)) {
    it(`names the problem: ${name}`, async (t) => {
      const dir = await copyOfTinyModel(t);
      await breakage.apply(dir);
      await assertUnusable(dir, breakage.expected);
    });
  }

  it('lists every problem of a directory broken several ways in one error', async (t) => {
    const dir = await copyOfTinyModel(t);
    const all = Object.values(BREAKAGES);
    for (const breakage of all) await breakage.apply(dir);
    const expected = all.flatMap((b) => b.expected);
    const problems = await assertUnusable(dir, expected);
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  it('names a missing default voice (English) and an unreadable tokenizer.json', async (t) => {
    const dir = await copyOfTinyModel(t);
    await unlink(join(dir, 'default_voice.wav'));
    await assertUnusable(dir, ['missing default_voice.wav']);
    await writeFile(join(dir, 'tokenizer.json'), '{"model": ');
    await assertUnusable(dir, [/^tokenizer\.json: /u]);
  });

  it('refuses a path that is not a directory', async (t) => {
    const dir = await copyOfTinyModel(t);
    for (const path of [join(dir, 'tokenizer.json'), join(dir, 'no-such-dir')]) {
      await assertUnusable(path, [`${path} is not a directory`]);
    }
  });

  it('dtype fp16 falls back to the fp32 file of each graph without an _fp16 variant, and generates', async (t) => {
    const dir = await copyOfTinyModel(t);
    await copyFile(join(await ensureTinyModel({ dtype: 'fp16' }), 'onnx', 'language_model_fp16.onnx'), join(dir, 'onnx', 'language_model_fp16.onnx'));
    const model = await load(dir, 'fp16');
    t.after(() => model.release());
    const graphs = Object.fromEntries(Object.entries(model.files.graphs).map(([name, file]) => [name, [file.dtype, file.path.slice(dir.length)]]));
    assert.deepEqual(graphs, {
      speech_encoder: ['fp32', '/onnx/speech_encoder.onnx'],
      embed_tokens: ['fp32', '/onnx/embed_tokens.onnx'],
      language_model: ['fp16', '/onnx/language_model_fp16.onnx'],
      conditional_decoder: ['fp32', '/onnx/conditional_decoder.onnx'],
    });
    assert.equal(model.lm.cacheType, 'float16');
    const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, undefined));
    const tiny = { dir, model, voices, voice: await voices.get('default') };
    assert.equal((await tokensOf(tiny, generationFor(tiny, 'Hello there.', { seed: 2, max_new_tokens: 5 }))).length, 5);
  });
});

describe('chatterbox check-model', { timeout: 60_000 }, () => {
  it('prints every graph’s signature and OK for a good directory', async () => {
    const dir = await ensureTinyModel();
    const { code, stdout, stderr } = await runChatterboxCli(['check-model', dir]);
    assert.equal(code, 0, stderr);
    for (const graph of ['speech_encoder', 'embed_tokens', 'language_model', 'conditional_decoder']) {
      assert.ok(stdout.includes(`${graph}  (${join(dir, 'onnx', `${graph}.onnx`)})`), `${graph} heading`);
    }
    for (const line of [
      'in  audio_values: float32 [batch_size, num_samples]',
      'in  exaggeration: float32 [batch_size]',
      'in  past_key_values.1.value: float32 [batch_size, 4, past_sequence_length, 16]',
      'out logits: float32 [batch_size, sequence_length, 8194]',
      'out waveform: float32 [batch_size, num_samples]',
    ]) {
      assert.ok(stdout.includes(line), `missing '${line}' in:\n${stdout}`);
    }
    assert.match(stdout, /\nOK: english model, 2 layers, hidden 64, 4 KV heads × 16, logits 8194, cache float32/u);
    assert.doesNotMatch(stdout, /NOT USABLE/u);
  });

  it('says OK for Turbo with a float16 cache', async () => {
    const { code, stdout, stderr } = await runChatterboxCli(['check-model', await ensureTinyModel({ variant: 'turbo', dtype: 'fp16' }), '--dtype', 'fp16']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /\nOK: turbo model, 2 layers.*cache float16, position_ids input/u);
  });

  it('exits 1 with NOT USABLE and every problem for a broken directory', async (t) => {
    const dir = await copyOfTinyModel(t);
    for (const breakage of Object.values(BREAKAGES)) await breakage.apply(dir);
    const { code, stdout } = await runChatterboxCli(['check-model', dir]);
    assert.equal(code, 1);
    const verdict = stdout.slice(stdout.indexOf('\nNOT USABLE: '));
    assert.ok(verdict.length > 0, stdout);
    for (const problem of [
      'missing onnx/speech_encoder.onnx',
      'language_model: cannot load',
      "conditional_decoder: missing input 'speech_tokens'",
      'missing tokenizer.json',
    ]) {
      assert.ok(verdict.includes(`  - ${problem}`), `missing '${problem}' in:\n${verdict}`);
    }
    assert.ok(stdout.includes(`conditional_decoder  (${join(dir, 'onnx', 'conditional_decoder.onnx')})`), 'the graphs that load are still printed');
    assert.doesNotMatch(stdout, /\nOK: /u);
  });
});
