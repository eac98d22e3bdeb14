import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createChatterboxEngine } from '../../../src/engine/chatterbox/chatterbox-engine.js';
import { generateSpeechTokens } from '../../../src/engine/chatterbox/generate-tokens.js';
import { normalizeText } from '../../../src/engine/chatterbox/normalize-text.js';
import { TOKENS } from '../../../src/engine/chatterbox/text-tokenizer.js';
import type { Engine } from '../../../src/engine/engine.js';
import type { EngineSpec } from '../../../src/engine/engine-spec.js';
import { floatData, int64Data } from '../../../src/engine/onnx/tensors.js';
import { splitSentences } from '../../../src/engine/text/split-sentences.js';
import { modelDims } from '../../../src/model-gen/sizes.js';
import type { SynthesisParams } from '../../../src/protocol/messages.js';
import {
  countingLanguageModel,
  decodeWhole,
  generationFor,
  loadTinyChatterbox,
  maxDifference,
  tokensOf,
  type TinyChatterbox,
} from '../../helpers/chatterbox.js';
import { runChatterboxCli } from '../../helpers/cli.js';
import type { TinyModelOptions } from '../../helpers/tiny-model.js';
import { voicedSound, writeWav } from '../../helpers/wav-file.js';
import { generate, type TokenPicker } from '../../model-gen/ort-harness.js';
import { collectChunks, joinChunks, requestFor } from '../contract.js';

const SAMPLES_PER_TOKEN = 960;
const SENTENCE = 'Hello world, how are you today?';
/** The tiny model's stop bias: no sampler avoids the stop token 8 tokens after the attended length passes this. */
const { stopBiasStart } = modelDims('tiny', 'english');

type ChunkingSpec = Extract<EngineSpec, { kind: 'chatterbox' }>['chunking'];

async function tinyEngine(dir: string, extra: { dtype?: 'fp32' | 'fp16'; chunking?: ChunkingSpec; voicesDir?: string } = {}): Promise<Engine> {
  return createChatterboxEngine({
    kind: 'chatterbox',
    modelDir: dir,
    device: 'cpu',
    dtype: extra.dtype ?? 'fp32',
    gpu: 0,
    chunking: extra.chunking,
    voicesDir: extra.voicesDir,
  });
}

/** The engine's audio and its final token count for one request. */
async function speak(engine: Engine, text: string, params: SynthesisParams = {}, voice?: string, signal?: AbortSignal) {
  const chunks = await collectChunks(engine, requestFor(engine, text, { params, voice }), signal);
  return { chunks, audio: joinChunks(chunks), tokens: chunks.at(-1)?.tokens ?? 0 };
}

function differs(a: readonly number[], b: readonly number[]): boolean {
  return a.length !== b.length || a.some((x, i) => x !== b[i]);
}

describe('Chatterbox engine on the tiny models', { timeout: 300_000 }, () => {
  let tiny: TinyChatterbox;
  let engine: Engine;
  const others: TinyChatterbox[] = [];
  const loadOther = async (options: TinyModelOptions) => {
    const other = await loadTinyChatterbox(options);
    others.push(other);
    return other;
  };
  before(async () => {
    tiny = await loadTinyChatterbox();
    engine = await tinyEngine(tiny.dir);
  });
  after(async () => {
    await engine.close();
    await tiny.model.release();
    for (const other of others) await other.model.release();
  });

  describe('generation loop', () => {
    // ort-harness.ts is an independent, plain implementation of the documented loop (prefill, then one token per
    // step with the cache fed back). Greedy on both sides, so any difference in prompt, positions or cache shows.
    const argmax: TokenPicker = (logits) => logits.reduce((best, value, i) => (value > logits[best]! ? i : best), 0);
    const greedy: SynthesisParams & { seed: number } = { seed: 1, temperature: 0, repetition_penalty: 1, min_p: 0, top_p: 1, top_k: 0, cfg_weight: 0 };
    let voicesDir: string;
    before(async () => {
      // The harness's own reference voice (1 s, 140 Hz sine), as float32 so the engine reads the very same samples.
      voicesDir = await mkdtemp(join(tmpdir(), 'chatterbox-harness-voice-'));
      const sine = Float32Array.from({ length: 24_000 }, (_, n) => 0.3 * Math.sin((2 * Math.PI * 140 * n) / 24_000));
      await writeWav(join(voicesDir, 'sine.wav'), { sampleRateHz: 24_000, channels: [sine], encoding: 'float32' });
    });
    after(() => rm(voicesDir, { recursive: true, force: true }));

    const models: Array<[string, TinyModelOptions]> = [
      ['English', {}],
      ['English with position_ids', { positionIds: true }],
      ['Turbo', { variant: 'turbo' }],
    ];
    for (const [name, options] of models) {
      it(`matches the reference loop token for token: ${name}`, async () => {
        const model = await loadTinyChatterbox(options, voicesDir);
        others.push(model);
        const request = generationFor(model, SENTENCE, greedy, await model.voices.get('sine'));
        const ours = await tokensOf(model, request);
        const reference = await generate(model.dir, options.variant ?? 'english', request.text.ids, argmax, 400);
        assert.ok(reference.stopped && reference.tokens.length > 10, `reference: ${reference.tokens.length} tokens`);
        assert.deepEqual(ours, reference.tokens);
      });
    }
  });

  describe('seeds', () => {
    it('the same seed gives the same tokens, a different seed different ones', async () => {
      const a = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 3 }));
      const b = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 3 }));
      const c = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 4 }));
      assert.ok(a.length > 20, `${a.length} tokens`);
      assert.deepEqual(b, a);
      assert.ok(differs(c, a), 'seed 4 gave the tokens of seed 3');
    });

    it('the tokens CLI prints the library’s tokens for a seed, the same every run, and others for another seed', async () => {
      const cli = (seed: number) => runChatterboxCli(['tokens', '--model', tiny.dir, SENTENCE, '--params', JSON.stringify({ seed })]);
      const [first, again, other] = await Promise.all([cli(3), cli(3), cli(4)]);
      for (const run of [first, again, other]) assert.equal(run.code, 0, run.stderr);
      const parse = (stdout: string) => JSON.parse(stdout) as number[];
      const expected = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 3 }));
      assert.deepEqual(parse(first.stdout), expected);
      assert.deepEqual(parse(again.stdout), expected);
      assert.ok(differs(parse(other.stdout), expected), 'seed 4 printed the tokens of seed 3');
    });

    it('temperature 0 is greedy: the same audio with no seed, another seed, every time', async () => {
      const asked: SynthesisParams[] = [{ temperature: 0 }, { temperature: 0 }, { temperature: 0, seed: 99 }];
      const runs = await Promise.all(asked.map((p) => speak(engine, SENTENCE, p)));
      assert.ok(runs[0]!.tokens > 20);
      for (const run of runs.slice(1)) assert.deepEqual(run.audio, runs[0]!.audio);
      // The contrast that makes the above mean something: sampling without a seed differs run to run.
      const [x, y] = await Promise.all([speak(engine, SENTENCE), speak(engine, SENTENCE)]);
      assert.notDeepEqual(x.audio, y.audio, 'two unseeded sampled runs gave the same audio');
    });
  });

  describe('streaming', () => {
    // The tiny decoder's block k depends only on tokens k-1 and k, so a correct stream equals one whole decode
    // everywhere, crossfades included (both sides of each crossfade are the same samples).
    const chunkings: Array<[string, ChunkingSpec]> = [
      ['default chunking', {}],
      ['one-token first chunk, 3-token chunks, 2 tokens of context', { firstChunkTokens: 1, chunkTokens: 3, contextTokens: 2 }],
      [
        'regression: no context and no crossfade (each seam began with the decoder’s 20 ms of silence)',
        { firstChunkTokens: 4, chunkTokens: 5, contextTokens: 0, crossfadeMs: 0 },
      ],
      [
        'regression: one token of context (the crossfade blended in the decoder’s fade-in)',
        { firstChunkTokens: 4, chunkTokens: 5, contextTokens: 1, crossfadeMs: 20 },
      ],
    ];
    for (const [name, chunking] of chunkings) {
      it(`joins chunks to exactly tokens × 960 samples, equal to one whole decode: ${name}`, async (t) => {
        const streaming = await tinyEngine(tiny.dir, { chunking });
        t.after(() => streaming.close());
        const { chunks, audio, tokens } = await speak(streaming, SENTENCE, { seed: 11 });
        const expected = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 11 }));
        assert.equal(tokens, expected.length, 'the last chunk counts every token');
        assert.ok(chunks.length >= 3, `${chunks.length} chunks: too few seams to test`);
        assert.equal(audio.length, expected.length * SAMPLES_PER_TOKEN);
        const whole = await decodeWhole(tiny, expected);
        const { value, at } = maxDifference(audio, whole);
        const seams = chunks.slice(0, -1).map((_, i) => chunks.slice(0, i + 1).reduce((n, c) => n + c.pcm.length, 0));
        assert.ok(value < 1e-5, `stream differs from the whole decode by ${value} at sample ${at}; seams at ${seams.join(', ')}`);
      });
    }

    it('two concurrent seeded requests give the audio each gives alone', async () => {
      const alone = [await speak(engine, SENTENCE, { seed: 21 }), await speak(engine, 'Another voice line.', { seed: 22, cfg_weight: 0 })];
      const together = await Promise.all([speak(engine, SENTENCE, { seed: 21 }), speak(engine, 'Another voice line.', { seed: 22, cfg_weight: 0 })]);
      assert.deepEqual(together[0]!.audio, alone[0]!.audio);
      assert.deepEqual(together[1]!.audio, alone[1]!.audio);
    });
  });

  describe('ending a request', () => {
    it('the stop token ends generation on its own, long before the cap, and is never emitted', async () => {
      const counting = countingLanguageModel(tiny);
      const request = generationFor(tiny, SENTENCE, { seed: 5 });
      const tokens = await tokensOf(counting.tiny, request);
      const promptLength = Number(tiny.voice.audioFeatures.dims[1]) + request.text.ids.length;
      const bound = Math.max(0, stopBiasStart - promptLength) + 8;
      assert.equal(request.maxNewTokens, 1000);
      assert.ok(tokens.length > 0 && tokens.length <= bound, `${tokens.length} tokens; the stop bias forces a stop by ${bound}`);
      assert.ok(
        tokens.every((token) => token >= 0 && token < TOKENS.startSpeech),
        'only codebook tokens',
      );
      assert.equal(counting.runs(), tokens.length + 1, 'one step per token, then the step that drew the stop token');
      const spoken = await speak(engine, SENTENCE, { seed: 5 });
      assert.equal(spoken.tokens, tokens.length, 'the engine ends where the loop stops');
    });

    it('max_new_tokens caps a request at exactly that many tokens, the start of the uncapped run', async () => {
      const capped = await speak(engine, SENTENCE, { seed: 5, max_new_tokens: 7 });
      assert.equal(capped.tokens, 7);
      assert.equal(capped.audio.length, 7 * SAMPLES_PER_TOKEN);
      const full = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 5 }));
      const counting = countingLanguageModel(tiny);
      const first7 = await tokensOf(counting.tiny, generationFor(tiny, SENTENCE, { seed: 5, max_new_tokens: 7 }));
      assert.deepEqual(first7, full.slice(0, 7));
      assert.equal(counting.runs(), 7, 'no step after the last allowed token');
    });

    it('a cancel during generation stops it within one step', async () => {
      const full = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 5 }));
      assert.ok(full.length > 20);
      const counting = countingLanguageModel(tiny);
      const controller = new AbortController();
      const tokens: number[] = [];
      let runsAtCancel = 0;
      for await (const token of generateSpeechTokens(counting.tiny.model, generationFor(tiny, SENTENCE, { seed: 5 }), controller.signal)) {
        tokens.push(token);
        if (tokens.length === 5) {
          controller.abort();
          runsAtCancel = counting.runs();
        }
      }
      assert.ok(tokens.length <= 6, `${tokens.length} tokens after a cancel at the 5th`);
      assert.ok(counting.runs() - runsAtCancel <= 1, `${counting.runs() - runsAtCancel} language-model steps after the cancel`);
    });

    it('a cancel after the first chunk stops the engine within one token of it', async () => {
      const controller = new AbortController();
      const seen: number[] = [];
      for await (const chunk of engine.synthesize(requestFor(engine, SENTENCE, { params: { seed: 5 } }), controller.signal)) {
        seen.push(chunk.tokens ?? 0);
        controller.abort();
      }
      const first = seen[0]!;
      assert.ok(first > 0 && first < 20, `first chunk after ${first} tokens`);
      assert.ok(Math.max(...seen) <= first + 1, `token counts after the cancel: ${seen.join(', ')}`);
    });
  });

  describe('sampling options', () => {
    it('CFG on and off both generate, and differ for the same seed', async () => {
      const on = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 8, cfg_weight: 0.5 }));
      const off = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 8, cfg_weight: 0 }));
      assert.ok(on.length > 20 && off.length > 20);
      assert.ok(differs(on, off), 'cfg_weight 0.5 and 0 gave the same tokens');
      const spoken = await speak(engine, SENTENCE, { seed: 8, cfg_weight: 0 });
      assert.equal(spoken.tokens, off.length);
    });

    it('exaggeration changes the tokens for the same seed', async () => {
      const calm = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 8, exaggeration: 0.5 }));
      const excited = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 8, exaggeration: 1.5 }));
      assert.ok(differs(calm, excited), 'exaggeration 0.5 and 1.5 gave the same tokens');
    });
  });

  describe('model variants', () => {
    it('an fp16 cache model generates what the fp32 one does, and speaks', async (t) => {
      const fp16 = await loadOther({ dtype: 'fp16' });
      assert.equal(fp16.model.lm.cacheType, 'float16');
      assert.equal(fp16.model.files.graphs.language_model?.dtype, 'fp16');
      const half = await tokensOf(fp16, generationFor(fp16, SENTENCE, { seed: 3 }));
      const full = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 3 }));
      // A wrongly fed fp16 cache derails generation at once; rounding alone flips a draw only by rare chance.
      assert.deepEqual(half.slice(0, 20), full.slice(0, 20));
      const fp16Engine = await tinyEngine(fp16.dir, { dtype: 'fp16' });
      t.after(() => fp16Engine.close());
      assert.equal(fp16Engine.info.details.cache, 'float16');
      const spoken = await speak(fp16Engine, SENTENCE, { seed: 3 });
      assert.equal(spoken.tokens, half.length);
      assert.equal(spoken.audio.length, half.length * SAMPLES_PER_TOKEN);
    });

    it('a position_ids model gets the positions its graph would derive: the same tokens, with and without CFG', async (t) => {
      const withIds = await loadOther({ positionIds: true });
      assert.equal(withIds.model.lm.hasPositionIds, true);
      assert.equal(tiny.model.lm.hasPositionIds, false);
      for (const cfg_weight of [0.5, 0]) {
        const expected = await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 3, cfg_weight }));
        assert.deepEqual(await tokensOf(withIds, generationFor(withIds, SENTENCE, { seed: 3, cfg_weight })), expected, `cfg_weight ${cfg_weight}`);
      }
      const idsEngine = await tinyEngine(withIds.dir);
      t.after(() => idsEngine.close());
      assert.ok((await speak(idsEngine, SENTENCE)).tokens > 0);
    });

    it('a plain tokenizer gives the template tokenizer’s prompt ids, and the same tokens', async () => {
      const plain = await loadOther({ plainTokenizer: true });
      assert.equal(plain.model.tokenizer.wrapsPrompt, false);
      assert.equal(tiny.model.tokenizer.wrapsPrompt, true);
      for (const text of ['Hello.', SENTENCE, 'Numbers 123, symbols #%&; and “quotes”.']) {
        const ids = plain.model.tokenizer.encode(normalizeText(text));
        assert.deepEqual(ids, tiny.model.tokenizer.encode(normalizeText(text)), text);
        assert.deepEqual(ids.ids.slice(0, 2), [TOKENS.exaggeration, TOKENS.startText]);
        assert.deepEqual(ids.ids.slice(-3), [TOKENS.stopText, TOKENS.startSpeech, TOKENS.startSpeech]);
      }
      assert.deepEqual(await tokensOf(plain, generationFor(plain, SENTENCE, { seed: 3 })), await tokensOf(tiny, generationFor(tiny, SENTENCE, { seed: 3 })));
    });
  });

  describe('text', () => {
    it('regression: a literal [STOP] in the text does not put the stop-text token 0 inside the prompt', async () => {
      const text = 'Say [STOP] now, then [stop] again.';
      const raw = tiny.model.tokenizer.encode(text);
      assert.ok(raw.ids.indexOf(TOKENS.stopText) < raw.ids.length - 3, 'precondition: unnormalised, [STOP] becomes token 0 mid-text');
      const { ids, textRange } = tiny.model.tokenizer.encode(normalizeText(text));
      assert.deepEqual(
        ids.flatMap((id, i) => (id === TOKENS.stopText ? [i] : [])),
        [textRange[1] - 1],
        'token 0 only ends the text',
      );
      const [bracketed, plain] = await Promise.all([speak(engine, text, { seed: 6 }), speak(engine, 'Say STOP now, then stop again.', { seed: 6 })]);
      assert.deepEqual(bracketed.audio, plain.audio, 'the engine reads [STOP] as the word');
    });

    it('long text is generated in sentence groups, every one of them spoken', async () => {
      const text = [
        'The morning train was late again today.',
        'Nobody on the platform seemed surprised.',
        'A man with a red umbrella read his paper.',
        'Two children counted the pigeons out loud.',
        'When the train finally came, it was full.',
        'Everyone squeezed in and the doors closed.',
        'It was going to be a long ride into town.',
        'At least the sun had come out at last.',
      ].join(' ');
      assert.ok(text.length > 300);
      // Greedy, so each group's tokens do not depend on the seed the engine derives for it.
      const spoken = await speak(engine, text, { temperature: 0 });
      const groups = splitSentences(text, { maxChars: 300 });
      assert.ok(groups.length >= 3);
      const perGroup = await Promise.all(groups.map((group) => tokensOf(tiny, generationFor(tiny, group.text, { seed: 1, temperature: 0 }))));
      for (const [i, tokens] of perGroup.entries()) assert.ok(tokens.length > 0, `group ${i} has no tokens`);
      const total = perGroup.reduce((n, tokens) => n + tokens.length, 0);
      assert.ok(total > stopBiasStart + 8, `${total} tokens: more than one generation call can give`);
      assert.equal(spoken.tokens, total);
      // Each group's decoder continues from the one before, so on this decoder (no right context) the groups sound
      // like one decode of all their tokens: no fade-in, fade-out or gap where one group meets the next.
      const expected = await decodeWhole(tiny, perGroup.flat());
      const { value, at } = maxDifference(spoken.audio, expected);
      assert.ok(value < 1e-5, `differs from one decode of every group's tokens by ${value} at sample ${at}`);
    });
  });

  describe('reference voices', () => {
    let voicesDir: string;
    let voiced: Engine;
    let withVoices: TinyChatterbox;
    before(async () => {
      voicesDir = await mkdtemp(join(tmpdir(), 'chatterbox-voices-'));
      // One sound, written three ways; stereo channels at 1.5× and 0.5× so only a proper mix-down gives the sound.
      const at44k = voicedSound(44_100, 2, 180);
      await writeWav(join(voicesDir, 'stereo44k.wav'), {
        sampleRateHz: 44_100,
        channels: [at44k.map((s) => 1.5 * s), at44k.map((s) => 0.5 * s)],
        encoding: 'pcm16',
      });
      await writeWav(join(voicesDir, 'float16k.wav'), { sampleRateHz: 16_000, channels: [voicedSound(16_000, 2, 180)], encoding: 'float32' });
      await writeWav(join(voicesDir, 'mono24k.wav'), { sampleRateHz: 24_000, channels: [voicedSound(24_000, 2, 180)], encoding: 'pcm16' });
      withVoices = await loadTinyChatterbox({}, voicesDir);
      voiced = await tinyEngine(tiny.dir, { voicesDir });
    });
    after(async () => {
      await voiced.close();
      await withVoices.model.release();
      await rm(voicesDir, { recursive: true, force: true });
    });

    it('16-bit 44.1 kHz stereo and float32 16 kHz mono WAVs load as the same sound at 24 kHz, unlike the default voice', async () => {
      assert.deepEqual(voiced.info.voices, ['default', 'float16k', 'mono24k', 'stereo44k']);
      assert.equal(voiced.info.defaultVoice, 'default');
      const reference = await withVoices.voices.get('mono24k');
      const distance = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((x, i) => x - b[i]!)) / Math.hypot(...b);
      for (const name of ['stereo44k', 'float16k']) {
        const voice = await withVoices.voices.get(name);
        assert.deepEqual(voice.audioTokens.dims, [1, 50], `${name}: 2 s at 24 kHz is 50 prompt tokens`);
        const same = int64Data(voice.audioTokens).filter((token, i) => token === int64Data(reference.audioTokens)[i]).length;
        assert.ok(same >= 45, `${name}: ${same} of 50 prompt tokens match the 24 kHz file's`);
        const toReference = distance(floatData(voice.speakerEmbeddings), floatData(reference.speakerEmbeddings));
        const toDefault = distance(floatData(voice.speakerEmbeddings), floatData(withVoices.voice.speakerEmbeddings));
        assert.ok(toReference < 0.05, `${name}: speaker embedding ${toReference} from the 24 kHz file's`);
        assert.ok(toDefault > 0.5, `${name}: speaker embedding only ${toDefault} from the default voice's`);
      }
    });

    it('speaks with a reference voice, differently from the default voice', async () => {
      const byDefault = await speak(voiced, SENTENCE, { seed: 4 });
      for (const voice of ['stereo44k', 'float16k']) {
        const spoken = await speak(voiced, SENTENCE, { seed: 4 }, voice);
        assert.ok(spoken.tokens > 0);
        assert.equal(spoken.audio.length, spoken.tokens * SAMPLES_PER_TOKEN);
        assert.notDeepEqual(spoken.audio, byDefault.audio, voice);
      }
    });
  });
});
