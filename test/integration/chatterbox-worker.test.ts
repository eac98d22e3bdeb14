import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { TtsClient, type SpeechChunk, type SpeechStream } from '../../client/node/tts-client.js';
import { rms } from '../../src/audio/pcm.js';
import type { WorkerHealth } from '../../src/server/health.js';
import { TtsError } from '../../src/protocol/errors.js';
import { samplesOf } from '../helpers/audio.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import { voicedSound, writeWav } from '../helpers/wav-file.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// The worker with the real Chatterbox engine (tiny generated model, CPU) in its engine thread, spoken to with the
// Node client over a real socket. The voices directory holds one good voice and one corrupt WAV: a request for the
// corrupt one makes the real engine fail (decodeWav throws) without touching anything else.
const SENTENCE = 'Hello world, how are you today?';
const SAMPLES_PER_TOKEN = 960;

let worker: TestWorker;
let voicesDir: string;
before(async () => {
  voicesDir = await mkdtemp(join(tmpdir(), 'chatterbox-worker-voices-'));
  await writeWav(join(voicesDir, 'alto.wav'), { sampleRateHz: 24_000, channels: [voicedSound(24_000, 2, 210)], encoding: 'pcm16' });
  await writeFile(join(voicesDir, 'broken.wav'), 'RIFF\u0004\u0000\u0000\u0000this is not a WAVE file');
  worker = await startTestWorker({}, { kind: 'chatterbox', modelDir: await ensureTinyModel(), device: 'cpu', dtype: 'fp32', gpu: 0, voicesDir });
});
after(async () => {
  await worker.close();
  await rm(voicesDir, { recursive: true, force: true });
});

async function connect(t: TestContext): Promise<TtsClient> {
  const client = await TtsClient.connect(worker.wsUrl);
  t.after(() => client.close());
  return client;
}

async function drain(stream: SpeechStream): Promise<SpeechChunk[]> {
  const chunks: SpeechChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Asserts a request fails with `code`, from both its iteration and its `done`. */
async function assertFails(stream: SpeechStream, code: string): Promise<TtsError> {
  let failure: unknown;
  try {
    await drain(stream);
  } catch (err) {
    failure = err;
  }
  assert.ok(failure instanceof TtsError, `expected ${code}, got ${String(failure)}`);
  assert.equal(failure.code, code, failure.message);
  await assert.rejects(stream.done, (err: unknown) => err instanceof TtsError && err.code === code);
  return failure;
}

describe('the worker serving Chatterbox', { timeout: 60_000 }, () => {
  it('says ready with engine chatterbox at 24 kHz, its voices and its parameters', async (t) => {
    const client = await connect(t);
    assert.equal(client.ready.engine, 'chatterbox');
    assert.equal(client.ready.sampleRate, 24_000);
    assert.deepEqual(client.ready.voices, ['default', 'alto', 'broken']);
    assert.equal(client.ready.defaultVoice, 'default');
    assert.deepEqual(client.ready.params.cfg_weight, { min: 0, max: 1, default: 0.5 });
    assert.deepEqual(client.ready.params.seed, { min: 0, max: 4294967295, default: 0, integer: true });
  });

  it('streams a request: contiguous seq, audible speech of whole tokens, tokens/s in the metrics', async (t) => {
    const client = await connect(t);
    const stream = client.speak(SENTENCE, { params: { seed: 3 } });
    const chunks = await drain(stream);
    const done = await stream.done;
    assert.deepEqual(
      chunks.map((c) => c.seq),
      chunks.map((_, i) => i),
    );
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    assert.equal(done.chunks, chunks.length);
    assert.equal(done.cancelled, false);
    const samples = samplesOf(chunks.map((c) => c.pcm));
    assert.equal(done.samples, samples.length);
    assert.equal(samples.length % SAMPLES_PER_TOKEN, 0, `${samples.length} samples is not a whole number of tokens`);
    assert.ok(rms(samples) > 0.005, `rms ${rms(samples)}`);
    assert.ok(done.metrics.tokensPerSec !== undefined && done.metrics.tokensPerSec > 0, `tokensPerSec ${done.metrics.tokensPerSec}`);
    assert.equal(done.metrics.audioMs, Math.round((samples.length / 24_000) * 1000));
    const again = client.speak(SENTENCE, { params: { seed: 3 } });
    assert.deepEqual(samplesOf((await drain(again)).map((c) => c.pcm)), samples, 'the same seed gives the same audio over the wire');
  });

  it('reports engine, variant, dtype, device and provider in /health', async () => {
    const response = await httpRequest(`${worker.httpUrl}/health`);
    assert.equal(response.status, 200);
    const health = jsonOf<WorkerHealth>(response);
    assert.equal(health.status, 'ok');
    assert.equal(health.engine, 'chatterbox');
    assert.equal(health.device, 'cpu');
    assert.equal(health.details.variant, 'english');
    assert.equal(health.details.dtype, 'fp32');
    assert.equal(health.details.provider, 'cpu');
    assert.deepEqual(health.voices, ['default', 'alto', 'broken']);
  });

  it('refuses an out-of-range parameter with BAD_PARAM, and the connection goes on', async (t) => {
    const client = await connect(t);
    const failure = await assertFails(client.speak(SENTENCE, { params: { temperature: 9 } }), 'BAD_PARAM');
    assert.match(failure.message, /temperature/u);
    const next = client.speak('Still here.', { params: { seed: 1 } });
    assert.ok((await drain(next)).length > 0);
    assert.equal((await next.done).cancelled, false);
  });

  it('turns an engine failure into ENGINE_FAILED for that request only; the next one on the connection succeeds', async (t) => {
    const client = await connect(t);
    const good = client.speak(SENTENCE, { params: { seed: 4 }, voice: 'alto' });
    const bad = client.speak(SENTENCE, { voice: 'broken' });
    const failure = await assertFails(bad, 'ENGINE_FAILED');
    assert.match(failure.message, /broken\.wav/u);
    assert.equal(failure.retryable, true);
    assert.ok((await drain(good)).length > 0, 'the request running beside it completes');
    for (const voice of ['alto', 'default']) {
      const next = client.speak(SENTENCE, { params: { seed: 4 }, voice });
      const chunks = await drain(next);
      assert.ok(rms(samplesOf(chunks.map((c) => c.pcm))) > 0.005, voice);
      assert.equal((await next.done).chunks, chunks.length);
    }
    assert.deepEqual(client.connectionErrors, []);
    await assertFails(client.speak('Once more.', { voice: 'broken' }), 'ENGINE_FAILED');
  });
});
