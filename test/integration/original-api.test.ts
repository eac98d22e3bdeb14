import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { readWavHeader } from '../helpers/audio.js';
import { httpRequest, jsonOf, postJson, type HttpResult } from '../helpers/http.js';
import { formBody, type FormValue } from '../helpers/multipart.js';
import { startBalancerFor } from '../helpers/per-test.js';
import { pollUntil } from '../helpers/poll.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import { encodeWav, voicedSound } from '../helpers/wav-file.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// The endpoints of the deployment this backend replaces, on a real worker with the tiny Chatterbox model and on Flite
// workers, and GET /audio/{file} through a real balancer for files made by either worker.
const TEXT = 'Hello world, how are you today?';
const CLIP = encodeWav({ sampleRateHz: 24_000, channels: [voicedSound(24_000, 6, 120)], encoding: 'pcm16' });

interface SynthesizeAnswer {
  success: boolean;
  audio_url: string;
  duration: number;
  sample_rate: number;
  parameters: Record<string, unknown>;
  inference_speed: number | null;
}

async function postForm(url: string, fields: Record<string, FormValue>): Promise<HttpResult> {
  const { body, contentType } = await formBody(fields);
  return httpRequest(url, { method: 'POST', headers: { 'content-type': contentType }, body });
}

/** Checks the answer's shape and fetches its file; returns the file's samples as bytes. */
async function fileOf(base: string, result: HttpResult): Promise<{ answer: SynthesizeAnswer; data: Buffer }> {
  assert.equal(result.status, 200, result.body.toString());
  const answer = jsonOf<SynthesizeAnswer>(result);
  assert.equal(answer.success, true);
  assert.match(answer.audio_url, /^\/audio\/tts-[0-9a-f]{32}\.wav$/);
  const file = await httpRequest(`${base}${answer.audio_url}`);
  assert.equal(file.status, 200);
  assert.equal(file.headers['content-type'], 'audio/wav');
  const header = readWavHeader(file.body);
  assert.equal(header.sampleRateHz, answer.sample_rate);
  assert.equal(header.dataSize, file.body.length - 44);
  assert.equal(answer.duration, Math.round((header.dataSize / 2 / answer.sample_rate) * 1000) / 1000);
  return { answer, data: file.body.subarray(44) };
}

function failure(result: HttpResult, status: number, code: string): void {
  assert.equal(result.status, status, result.body.toString());
  const body = jsonOf<{ success: boolean; error: { code: string } }>(result);
  assert.equal(body.success, false);
  assert.equal(body.error.code, code);
}

describe('the original API on a Chatterbox worker', { timeout: 120_000 }, () => {
  let worker: TestWorker;
  let audioDir: string;
  let voicesDir: string;
  before(async () => {
    audioDir = await mkdtemp(join(tmpdir(), 'original-audio-'));
    voicesDir = await mkdtemp(join(tmpdir(), 'original-voices-'));
    const modelDir = await ensureTinyModel();
    worker = await startTestWorker(
      { 'audio-dir': audioDir, 'voices-dir': voicesDir },
      { kind: 'chatterbox', modelDir, device: 'cpu', dtype: 'fp32', gpu: 0, voicesDir },
    );
  });
  after(async () => {
    await worker.close();
    await rm(audioDir, { recursive: true, force: true });
    await rm(voicesDir, { recursive: true, force: true });
  });
  const fields = { exaggeration: 0.7, temperature: 0.6, cfg_weight: 0.4, min_p: 0.1, top_p: 0.9, repetition_penalty: 1.3, seed: 11, speech_rate: 1 };
  const asForm = (values: Record<string, number>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

  it('POST /synthesize (multipart) and /synthesize-json answer in the original shape, with the same audio for the same fields', async () => {
    const form = await fileOf(worker.httpUrl, await postForm(`${worker.httpUrl}/synthesize`, { text: TEXT, ...asForm(fields) }));
    assert.equal(form.answer.sample_rate, 24_000);
    assert.ok(form.answer.duration > 0);
    assert.ok(typeof form.answer.inference_speed === 'number' && form.answer.inference_speed > 0, `inference_speed ${form.answer.inference_speed}`);
    assert.deepEqual(form.answer.parameters, { ...fields, top_k: 0, max_new_tokens: 1000, voice: 'default' });
    const json = await fileOf(worker.httpUrl, await postJson(`${worker.httpUrl}/synthesize-json`, { text: TEXT, ...fields }));
    assert.deepEqual(json.data, form.data);
    assert.notEqual(json.answer.audio_url, form.answer.audio_url);
  });

  it('speaks with an audio_prompt for that request only: multipart upload or base64 in JSON, never stored', async () => {
    const voicesBefore = await readdir(voicesDir);
    const plain = await fileOf(worker.httpUrl, await postForm(`${worker.httpUrl}/synthesize`, { text: TEXT, seed: '4' }));
    const prompted = await fileOf(
      worker.httpUrl,
      await postForm(`${worker.httpUrl}/synthesize`, { text: TEXT, seed: '4', audio_prompt: { filename: 'me.wav', type: 'audio/wav', data: CLIP } }),
    );
    assert.equal(prompted.answer.parameters.voice, 'audio_prompt');
    assert.notDeepEqual(prompted.data, plain.data, 'the clip changes the voice');
    const base64 = await fileOf(
      worker.httpUrl,
      await postJson(`${worker.httpUrl}/synthesize-json`, { text: TEXT, seed: 4, audio_prompt: Buffer.from(CLIP).toString('base64') }),
    );
    assert.deepEqual(base64.data, prompted.data);
    assert.deepEqual(await readdir(voicesDir), voicesBefore);
    const voices = jsonOf<{ voices: string[] }>(await httpRequest(`${worker.httpUrl}/voices`));
    assert.deepEqual(voices.voices, ['default']);
  });

  it('GET /voices answers in the original shape, with uploaded voices, which /synthesize-json takes by name', async () => {
    const { body, contentType } = await formBody({ name: 'narrator', file: { filename: 'n.wav', data: CLIP } });
    assert.equal((await httpRequest(`${worker.httpUrl}/v1/voices`, { method: 'POST', headers: { 'content-type': contentType }, body })).status, 201);
    assert.deepEqual(jsonOf(await httpRequest(`${worker.httpUrl}/voices`)), {
      success: true,
      voices: ['default', 'narrator'],
      default_voice: 'default',
      count: 2,
    });
    const named = await fileOf(worker.httpUrl, await postJson(`${worker.httpUrl}/synthesize-json`, { text: TEXT, seed: 4, voice: 'narrator' }));
    const prompted = await fileOf(
      worker.httpUrl,
      await postJson(`${worker.httpUrl}/synthesize-json`, { text: TEXT, seed: 4, audio_prompt: Buffer.from(CLIP).toString('base64') }),
    );
    assert.deepEqual(named.data, prompted.data, 'a stored voice speaks as its clip given inline');
  });

  describe('refuses bad requests with success false and a coded 4xx, writing no file', () => {
    const cases: Array<{ what: string; send: () => Promise<HttpResult>; status: number; code: string }> = [
      { what: 'missing text (multipart)', send: () => postForm(`${worker.httpUrl}/synthesize`, { seed: '1' }), status: 400, code: 'TEXT_EMPTY' },
      { what: 'missing text (JSON)', send: () => postJson(`${worker.httpUrl}/synthesize-json`, { seed: 1 }), status: 400, code: 'TEXT_EMPTY' },
      {
        what: 'exaggeration out of range',
        send: () => postForm(`${worker.httpUrl}/synthesize`, { text: TEXT, exaggeration: '7' }),
        status: 400,
        code: 'BAD_PARAM',
      },
      {
        what: 'temperature not a number',
        send: () => postJson(`${worker.httpUrl}/synthesize-json`, { text: TEXT, temperature: 'hot' }),
        status: 400,
        code: 'BAD_PARAM',
      },
      {
        what: 'speech_rate out of range',
        send: () => postJson(`${worker.httpUrl}/synthesize-json`, { text: TEXT, speech_rate: 9 }),
        status: 400,
        code: 'BAD_PARAM',
      },
      {
        what: 'an unknown voice',
        send: () => postJson(`${worker.httpUrl}/synthesize-json`, { text: TEXT, voice: 'nobody' }),
        status: 400,
        code: 'UNKNOWN_VOICE',
      },
      {
        what: 'an audio_prompt that is not audio',
        send: () =>
          postForm(`${worker.httpUrl}/synthesize`, { text: TEXT, audio_prompt: { filename: 'x.wav', data: new TextEncoder().encode('no audio here') } }),
        status: 400,
        code: 'BAD_AUDIO',
      },
      {
        what: 'an audio_prompt that is not base64',
        send: () => postJson(`${worker.httpUrl}/synthesize-json`, { text: TEXT, audio_prompt: '%%%' }),
        status: 400,
        code: 'BAD_MESSAGE',
      },
      {
        what: 'a JSON body to the multipart route',
        send: () => postJson(`${worker.httpUrl}/synthesize`, { text: TEXT }),
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
    ];
    for (const { what, send, status, code } of cases) {
      it(what, async () => {
        const before = (await readdir(audioDir)).sort();
        failure(await send(), status, code);
        assert.deepEqual((await readdir(audioDir)).sort(), before);
      });
    }

    it('GET /audio of a name it never made, or one that tries to escape', async () => {
      for (const name of ['tts-00000000000000000000000000000000.wav', '..%2F..%2Fetc%2Fpasswd', 'notes.txt']) {
        failure(await httpRequest(`${worker.httpUrl}/audio/${name}`), 404, 'NOT_FOUND');
      }
    });
  });
});

describe('the original API on Flite workers and through the balancer', { timeout: 60_000 }, () => {
  async function fliteWorker(t: TestContext, settings: Record<string, string> = {}): Promise<{ worker: TestWorker; audioDir: string }> {
    const audioDir = await mkdtemp(join(tmpdir(), 'original-flite-'));
    const worker = await startTestWorker({ 'audio-dir': audioDir, ...settings });
    t.after(async () => {
      await worker.close();
      await rm(audioDir, { recursive: true, force: true });
    });
    return { worker, audioDir };
  }

  it('maps speech_rate to the engine speed, reports no inference_speed without speech tokens, and refuses an audio_prompt', async (t) => {
    const { worker } = await fliteWorker(t);
    const normal = await fileOf(worker.httpUrl, await postForm(`${worker.httpUrl}/synthesize`, { text: TEXT, exaggeration: '0.5' }));
    assert.equal(normal.answer.inference_speed, null);
    assert.deepEqual(normal.answer.parameters, { speech_rate: 1, voice: 'slt' });
    const fast = await fileOf(worker.httpUrl, await postJson(`${worker.httpUrl}/synthesize-json`, { text: TEXT, speech_rate: 2 }));
    assert.equal(fast.answer.parameters.speech_rate, 2);
    assert.ok(fast.answer.duration < normal.answer.duration * 0.75, `${fast.answer.duration} s at rate 2 vs ${normal.answer.duration} s`);
    failure(await postForm(`${worker.httpUrl}/synthesize`, { text: TEXT, audio_prompt: { filename: 'me.wav', data: CLIP } }), 422, 'CLONING_UNSUPPORTED');
  });

  it('deletes files once they expire', async (t) => {
    const { worker, audioDir } = await fliteWorker(t, { 'audio-ttl': '1' });
    const made = await fileOf(worker.httpUrl, await postForm(`${worker.httpUrl}/synthesize`, { text: TEXT }));
    const name = made.answer.audio_url.slice('/audio/'.length);
    await pollUntil('the expired file to be deleted', async () => !(await readdir(audioDir)).includes(name), { timeoutMs: 10_000, intervalMs: 100 });
    failure(await httpRequest(`${worker.httpUrl}${made.answer.audio_url}`), 404, 'NOT_FOUND');
  });

  it('serves GET /audio/{file} through the balancer whichever worker made the file', async (t) => {
    const workers = [(await fliteWorker(t)).worker, (await fliteWorker(t)).worker];
    const balancer = await startBalancerFor(
      t,
      workers.map((w) => w.port),
      { 'health-interval-ms': '100' },
    );
    const lb = `http://127.0.0.1:${balancer.port}`;
    for (const worker of workers) {
      const made = jsonOf<SynthesizeAnswer>(await postForm(`${worker.httpUrl}/synthesize`, { text: TEXT }));
      const direct = await httpRequest(`${worker.httpUrl}${made.audio_url}`);
      const relayed = await httpRequest(`${lb}${made.audio_url}`);
      assert.equal(relayed.status, 200);
      assert.deepEqual(relayed.body, direct.body);
    }
    failure(await httpRequest(`${lb}/audio/tts-00000000000000000000000000000000.wav`), 404, 'NOT_FOUND');
    const viaBalancer = await fileOf(lb, await postForm(`${lb}/synthesize`, { text: TEXT }));
    assert.ok(viaBalancer.answer.duration > 0);
  });
});
