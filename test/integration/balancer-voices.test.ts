import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { TtsClient, type SpeechStream } from '../../client/node/tts-client.js';
import type { BalancerServer } from '../../src/balancer/balancer-server.js';
import { createLogger } from '../../src/logging/logger.js';
import { httpRequest, jsonOf, type HttpResult } from '../helpers/http.js';
import { formBody } from '../helpers/multipart.js';
import { startBalancerFor } from '../helpers/per-test.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import { encodeWav, voicedSound } from '../helpers/wav-file.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// Two real Chatterbox workers (tiny model, CPU) behind a real balancer, in both deployments of the voice library:
// one voices directory shared by workers on one host, and a directory per worker with the balancer fanning out.
const SENTENCE = 'Hello world, how are you today?';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const CLIP = encodeWav({ sampleRateHz: 24_000, channels: [voicedSound(24_000, 6, 140)], encoding: 'pcm16' });

async function startWorkers(t: TestContext, dirs: string[]): Promise<TestWorker[]> {
  const modelDir = await ensureTinyModel();
  const workers = await Promise.all(
    dirs.map((voicesDir) => startTestWorker({ 'voices-dir': voicesDir }, { kind: 'chatterbox', modelDir, device: 'cpu', dtype: 'fp32', gpu: 0, voicesDir })),
  );
  t.after(() => Promise.all(workers.map((w) => w.close())));
  return workers;
}

function startBalancer(t: TestContext, workers: TestWorker[], voicesSync: string): Promise<BalancerServer> {
  return startBalancerFor(
    t,
    workers.map((w) => w.port),
    { 'health-interval-ms': '100', 'voices-sync': voicesSync },
    logger,
  );
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lb-voices-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function upload(url: string, name: string): Promise<HttpResult> {
  const { body, contentType } = await formBody({ name, file: { filename: 'clip.wav', data: CLIP } });
  return httpRequest(`${url}/v1/voices`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

async function drain(stream: SpeechStream): Promise<number> {
  let samples = 0;
  for await (const chunk of stream) samples += chunk.samples;
  return samples;
}

/** Speaks with `voice` on two sessions open at once through the balancer, which pins them to different workers. */
async function speakOnBothWorkers(t: TestContext, balancer: BalancerServer, voice: string): Promise<void> {
  const clients = await Promise.all([0, 1].map(() => TtsClient.connect(`ws://127.0.0.1:${balancer.port}/v1/stream`)));
  t.after(() => Promise.all(clients.map((c) => c.close())));
  const samples = await Promise.all(clients.map((client) => drain(client.speak(SENTENCE, { voice, params: { seed: 1 } }))));
  assert.ok(samples.every((n) => n > 0));
  assert.deepEqual(
    balancer.pool.backends.map((b) => b.requests),
    [1, 1],
    'each worker spoke once',
  );
}

describe('voice uploads through the balancer', { timeout: 120_000 }, () => {
  it('with a shared voices directory: one worker stores the upload, and both speak with it at once', async (t) => {
    const dir = await tempDir(t);
    const workers = await startWorkers(t, [dir, dir]);
    const balancer = await startBalancer(t, workers, 'shared-dir');
    const stored = await upload(`http://127.0.0.1:${balancer.port}`, 'shared');
    assert.equal(stored.status, 201, stored.body.toString());
    for (const worker of workers) assert.equal((await httpRequest(`${worker.httpUrl}/v1/voices/shared`)).status, 200);
    await speakOnBothWorkers(t, balancer, 'shared');
  });

  it('with a directory per worker: the balancer fans uploads and deletes out to every worker and reports each answer', async (t) => {
    const dirs = [await tempDir(t), await tempDir(t)];
    const workers = await startWorkers(t, dirs);
    const balancer = await startBalancer(t, workers, 'fanout');
    const lb = `http://127.0.0.1:${balancer.port}`;
    const stored = await upload(lb, 'everywhere');
    assert.equal(stored.status, 201, stored.body.toString());
    const body = jsonOf<{ name: string; backends: Array<{ backend: string; status: number }> }>(stored);
    assert.equal(body.name, 'everywhere');
    assert.deepEqual(
      body.backends.map((b) => b.status),
      [201, 201],
    );
    for (const dir of dirs) assert.deepEqual(await readdir(dir), ['everywhere.wav']);
    await speakOnBothWorkers(t, balancer, 'everywhere');

    const duplicate = await upload(lb, 'everywhere');
    assert.equal(duplicate.status, 409, 'every worker refused the same way: their common answer');
    const deleted = await httpRequest(`${lb}/v1/voices/everywhere`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    for (const dir of dirs) assert.deepEqual(await readdir(dir), []);

    await workers[1]!.close();
    const partial = await upload(lb, 'half');
    assert.equal(partial.status, 502);
    const report = jsonOf<{ error: { code: string }; backends: Array<{ backend: string; status: number; error?: unknown }> }>(partial);
    assert.equal(report.error.code, 'FANOUT_INCOMPLETE');
    assert.equal(report.backends[0]!.status, 201);
    // A closed worker refuses the connection (status 0) or, while its socket lingers, answers DRAINING (503).
    assert.ok([0, 503].includes(report.backends[1]!.status), String(report.backends[1]!.status));
    assert.equal(report.backends[1]!.backend, `http://127.0.0.1:${workers[1]!.port}`);
    assert.ok(report.backends[1]!.error, 'the worker that failed is reported with its error');
    assert.deepEqual(await readdir(dirs[0]!), ['half.wav']);
    assert.deepEqual(await readdir(dirs[1]!), []);
  });
});
