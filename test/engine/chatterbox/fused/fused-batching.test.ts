// Continuous batching on the fused decode graph: requests of different lengths and settings sharing runs give the
// tokens each gives alone; requests join, leave and cancel mid-batch without disturbing the rest; a request whose
// run fails does not take the others down.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type ort from 'onnxruntime-node';
import { loadChatterboxModel } from '../../../../src/engine/chatterbox/chatterbox-model.js';
import { generateSpeechTokens, type GenerationRequest } from '../../../../src/engine/chatterbox/generate-tokens.js';
import { createVoiceBank, listVoiceFiles } from '../../../../src/engine/chatterbox/voice-bank.js';
import { TtsError } from '../../../../src/protocol/errors.js';
import type { SynthesisParams } from '../../../../src/protocol/messages.js';
import { generationFor, loadTinyWithLoop, type TinyChatterbox } from '../../../helpers/chatterbox.js';
import { ensureTinyModel, type TinyModelOptions } from '../../../helpers/tiny-model.js';

/** Every token of one request; `onToken` may cancel it. */
async function collect(
  tiny: TinyChatterbox,
  request: GenerationRequest,
  controller = new AbortController(),
  onToken?: (count: number) => void,
): Promise<number[]> {
  const tokens: number[] = [];
  for await (const token of generateSpeechTokens(tiny.model, request, controller.signal)) {
    tokens.push(token);
    onToken?.(tokens.length);
  }
  return tokens;
}

/**
 * Records the number of requests in every run of the fused session until stop(), and which runs began with prompts;
 * `onRun` sees every run's feeds first.
 */
function recordBatchSizes(
  tiny: TinyChatterbox,
  fail?: (feeds: Record<string, ort.Tensor>) => boolean,
  onRun?: (feeds: Record<string, ort.Tensor>) => void,
): { sizes: number[]; promptRuns: boolean[]; stop: () => void } {
  const session = tiny.model.fused!.session;
  const run = session.run;
  const sizes: number[] = [];
  const promptRuns: boolean[] = [];
  session.run = ((feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => {
    sizes.push(feeds.row_steps!.dims[0]!);
    promptRuns.push(feeds.inputs_embeds!.dims[1]! > 1);
    onRun?.(feeds);
    if (fail?.(feeds)) return Promise.reject(new Error('injected failure'));
    return (run as (...args: unknown[]) => Promise<unknown>).call(session, feeds, ...rest);
  }) as typeof run;
  return { sizes, promptRuns, stop: () => (session.run = run) };
}

const REQUESTS: Array<{ text: string; params: SynthesisParams & { seed: number }; englishOnly?: boolean }> = [
  { text: 'Short one.', params: { seed: 1, temperature: 0, repetition_penalty: 1.3, cfg_weight: 0 } },
  {
    text: 'A much longer sentence, so that its prompt is longer than the others and the rows need padding.',
    params: { seed: 2, temperature: 0.9, top_k: 30, min_p: 0.02, top_p: 0.9, repetition_penalty: 1.2, cfg_weight: 0 },
  },
  {
    text: 'Guided by the text, twice over.',
    params: { seed: 3, temperature: 0.8, min_p: 0.05, repetition_penalty: 1.2, cfg_weight: 0.5, exaggeration: 0.7 },
    englishOnly: true,
  },
  { text: 'Another one of medium length here.', params: { seed: 4, temperature: 0.7, top_p: 0.8, repetition_penalty: 1.1, cfg_weight: 0, max_new_tokens: 40 } },
];

// fp16 caches, Turbo's position_ids, 4-bit weights and the plain-op attention (whose cache keeps padding inside, see
// FusedLayout.cacheLayout) each merge and split rows their own way. Not q4f16: onnxruntime's float16 MatMulNBits
// rounds one row differently from several (docs/chatterbox-engine.md), so its rows match alone only approximately.
const MODELS: TinyModelOptions[] = [
  { variant: 'english' },
  { variant: 'turbo' },
  { variant: 'english', dtype: 'fp16' },
  { variant: 'turbo', dtype: 'fp16' },
  { variant: 'english', dtype: 'q4' },
  { variant: 'turbo', attention: 'standard' },
];

for (const options of MODELS) {
  const name = [options.variant, options.dtype ?? 'fp32', options.attention === 'standard' ? 'plain-op attention' : ''].filter(Boolean).join(' ');
  describe(`continuous batching on tiny ${name}`, () => {
    let cacheDir = '';
    let step: TinyChatterbox;
    let fused: TinyChatterbox;
    const cases = REQUESTS.filter((r) => !r.englishOnly || options.variant === 'english');
    const alone: number[][] = [];
    const requestsFor = (tiny: TinyChatterbox) => cases.map((c) => ({ ...generationFor(tiny, c.text, c.params), stepsPerRun: { first: 4, next: 9 } }));
    before(async () => {
      cacheDir = await mkdtemp(join(tmpdir(), 'fused-batching-'));
      step = await loadTinyWithLoop(options, 'step', cacheDir);
      fused = await loadTinyWithLoop(options, 'fused', cacheDir);
      for (const request of requestsFor(step)) alone.push(await collect(step, request));
    });
    after(async () => {
      await step?.model.release();
      await fused?.model.release();
      await rm(cacheDir, { recursive: true, force: true });
    });

    it('gives every request of a batch of different lengths the tokens it gets alone', async () => {
      const recorder = recordBatchSizes(fused);
      const together = await Promise.all(requestsFor(fused).map((request) => collect(fused, request))).finally(recorder.stop);
      assert.deepEqual(together, alone);
      assert.ok(Math.max(...recorder.sizes) === cases.length, `the requests never shared a run: ${recorder.sizes.join(',')}`);
    });

    it('prompts of different lengths arriving together run as one batch, then decode on together, each row with its tokens alone', async () => {
      const recorder = recordBatchSizes(fused);
      const together = await Promise.all(requestsFor(fused).map((request) => collect(fused, request))).finally(recorder.stop);
      assert.deepEqual(together, alone);
      const n = cases.length;
      assert.deepEqual(recorder.sizes.slice(0, 2), [n, n], `runs: ${recorder.sizes.join(',')}`);
      assert.deepEqual(recorder.promptRuns.slice(0, 2), [true, false], 'the first run holds every prompt, the second decodes only');
    });

    it('a request cancelled while its prompt runs in a batch leaves; the others keep their tokens', async () => {
      const requests = requestsFor(fused);
      const cancel = new AbortController();
      let promptRunSize = 0;
      // Cancelled from inside the prompt run, so its row was prefilled with the others and must be dropped after.
      const recorder = recordBatchSizes(fused, undefined, (feeds) => {
        if (feeds.inputs_embeds!.dims[1]! > 1 && !cancel.signal.aborted) {
          promptRunSize = feeds.row_steps!.dims[0]!;
          cancel.abort();
        }
      });
      const outcomes = await Promise.all(requests.map((request, i) => collect(fused, request, i === 1 ? cancel : undefined))).finally(recorder.stop);
      assert.equal(promptRunSize, cases.length, 'the cancelled request shared the prompt run');
      assert.deepEqual(outcomes[1], [], 'a request cancelled before its first tokens were handed out gets none');
      assert.deepEqual(
        outcomes.filter((_, i) => i !== 1),
        alone.filter((_, i) => i !== 1),
      );
      assert.ok(
        recorder.sizes.slice(1).every((size) => size < cases.length),
        `the cancelled request ran on: ${recorder.sizes.join(',')}`,
      );
    });

    it('a request cancelled before its wave runs is left out of the prompt run', async () => {
      const requests = requestsFor(fused);
      const cancel = new AbortController();
      const recorder = recordBatchSizes(fused);
      const pending = requests.map((request, i) => collect(fused, request, i === 0 ? cancel : undefined));
      cancel.abort();
      const outcomes = await Promise.all(pending).finally(recorder.stop);
      assert.deepEqual(outcomes[0], []);
      assert.deepEqual(outcomes.slice(1), alone.slice(1));
      assert.equal(recorder.sizes[0], cases.length - 1, `runs: ${recorder.sizes.join(',')}`);
    });

    it('lets requests join, leave and cancel mid-batch without changing the others’ tokens', async () => {
      const requests = requestsFor(fused);
      const recorder = recordBatchSizes(fused);
      const cancel = new AbortController();
      let joined: Promise<number[]> | undefined;
      let cancelled: Promise<number[]> | undefined;
      // The first request starts alone; the second joins once the first has 10 tokens, the third after 20 and is
      // cancelled after 6 of its own tokens; the last (capped at 40 tokens) leaves before the others finish.
      const first = collect(fused, requests[1]!, undefined, (count) => {
        if (count === 10) joined = collect(fused, requests[0]!);
        if (count === 20) cancelled = collect(fused, requests[2]!, cancel, (own) => own === 6 && cancel.abort());
      });
      const last = collect(fused, requests.at(-1)!);
      const results = await Promise.all([first, last]);
      const [joinedTokens, cancelledTokens] = await Promise.all([joined!, cancelled!]).finally(recorder.stop);
      assert.deepEqual(results[0], alone[1]);
      assert.deepEqual(results[1], alone.at(-1));
      assert.deepEqual(joinedTokens, alone[0]);
      assert.deepEqual(cancelledTokens, alone[2]!.slice(0, 6));
      assert.ok(Math.max(...recorder.sizes) >= 3, `no run held three requests: ${recorder.sizes.join(',')}`);
    });

    for (const [what, prompt] of [
      ['decode', false],
      ['prompt', true],
    ] as const) {
      it(`a request whose ${what} run fails gets ENGINE_FAILED; the others finish with their own tokens`, async () => {
        const requests = requestsFor(fused);
        const poisoned = { ...requests[0]!, maxNewTokens: 1000, seed: 999, sampler: { ...requests[0]!.sampler, topK: 7 } };
        // Every run of that kind holding it fails, shared or alone.
        const recorder = recordBatchSizes(
          fused,
          (feeds) => feeds.inputs_embeds!.dims[1]! > 1 === prompt && Array.from(feeds.top_k!.data as BigInt64Array).includes(7n),
        );
        const outcomes = await Promise.allSettled([collect(fused, poisoned), ...requests.slice(1).map((request) => collect(fused, request))]).finally(
          recorder.stop,
        );
        const [bad, ...good] = outcomes;
        assert.equal(bad!.status, 'rejected');
        assert.ok((bad as PromiseRejectedResult).reason instanceof TtsError);
        assert.equal(((bad as PromiseRejectedResult).reason as TtsError).code, 'ENGINE_FAILED');
        assert.deepEqual(
          good.map((o) => (o.status === 'fulfilled' ? o.value : o.reason)),
          alone.slice(1),
        );
        assert.ok(Math.max(...recorder.sizes) > 1, `the failing request never shared a run: ${recorder.sizes.join(',')}`);
      });
    }
  });
}

describe('admission by capacity on the fused graph', () => {
  it('refuses (SERVER_BUSY, retryable) a request that would slow the running one below the bar; the running one is unaffected', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'fused-admission-'));
    const dir = await ensureTinyModel();
    // A bar no machine reaches, so the decision does not depend on this machine's speed.
    const model = await loadChatterboxModel(dir, {
      dtype: 'fp32',
      device: 'cpu',
      gpu: 0,
      decode: 'fused',
      fusedCacheDir: cacheDir,
      admitTokensPerSec: 1_000_000,
    });
    const reference = await loadChatterboxModel(dir, { dtype: 'fp32', device: 'cpu', gpu: 0, decode: 'step' });
    try {
      const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, undefined));
      const tiny = { dir, model, voices, voice: await voices.get(voices.defaultVoice) };
      const request = { ...generationFor(tiny, REQUESTS[0]!.text, REQUESTS[0]!.params), stepsPerRun: { first: 3, next: 5 } };
      let refusal: unknown;
      let continued: Promise<number[]> | undefined;
      const running = collect(tiny, request, undefined, (count) => {
        // After a decode run has been measured: a second request now, and a later sentence of an admitted one.
        if (count === 8) {
          refusal = collect(tiny, request).then(
            () => undefined,
            (err: unknown) => err,
          );
          continued = collect(tiny, { ...request, admitted: true });
        }
      });
      const tokens = await running;
      const err = await refusal;
      assert.ok(err instanceof TtsError, `expected a refusal, got ${String(err)}`);
      assert.equal(err.code, 'SERVER_BUSY');
      assert.equal(err.retryable, true);
      const continuedTokens = await continued;
      assert.equal(model.batcher!.remainingCapacity(), 1);
      const alone = await collect({ ...tiny, model: reference }, request);
      assert.deepEqual(tokens, alone);
      assert.deepEqual(continuedTokens, alone, 'a later sentence of a running request is never refused');
    } finally {
      await model.release();
      await reference.release();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
