import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { TtsClient, type SpeechStream } from '../../client/node/tts-client.js';
import { floatData } from '../../src/engine/onnx/tensors.js';
import { TtsError } from '../../src/protocol/errors.js';
import { readWavHeader, samplesOf } from '../helpers/audio.js';
import { loadTinyChatterbox, maxDifference } from '../helpers/chatterbox.js';
import { encodeWithFfmpeg } from '../helpers/ffmpeg.js';
import { httpRequest, jsonOf, postJson, type HttpResult } from '../helpers/http.js';
import { formBody, type FormValue } from '../helpers/multipart.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import { encodeWav, voicedSound } from '../helpers/wav-file.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// A worker with the real Chatterbox engine (tiny generated model, CPU) and a voice library in a fresh directory:
// uploads over real HTTP, used at once over the WebSocket, deleted, and every kind of bad upload refused with the
// directory left exactly as it was.
const SENTENCE = 'Hello world, how are you today?';
const MAX_UPLOAD_BYTES = 3_000_000;

let worker: TestWorker;
let voicesDir: string;
before(async () => {
  voicesDir = await mkdtemp(join(tmpdir(), 'voice-library-'));
  const modelDir = await ensureTinyModel();
  worker = await startTestWorker(
    { 'voices-dir': voicesDir, 'max-upload-bytes': String(MAX_UPLOAD_BYTES) },
    { kind: 'chatterbox', modelDir, device: 'cpu', dtype: 'fp32', gpu: 0, voicesDir },
  );
});
after(async () => {
  await worker.close();
  await rm(voicesDir, { recursive: true, force: true });
});

/** A 16-bit WAV of the test sound at `f0Hz`, `seconds` long. */
function clip(f0Hz: number, seconds = 6, rateHz = 24_000): Uint8Array {
  return encodeWav({ sampleRateHz: rateHz, channels: [voicedSound(rateHz, seconds, f0Hz)], encoding: 'pcm16' });
}

async function upload(fields: Record<string, FormValue>, url = worker.httpUrl): Promise<HttpResult> {
  const { body, contentType } = await formBody(fields);
  return httpRequest(`${url}/v1/voices`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

async function connect(t: TestContext): Promise<TtsClient> {
  const client = await TtsClient.connect(worker.wsUrl);
  t.after(() => client.close());
  return client;
}

async function speech(stream: SpeechStream): Promise<Float32Array> {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk.pcm);
  return samplesOf(chunks);
}

function errorCode(result: HttpResult): string {
  return jsonOf<{ error: { code: string } }>(result).error.code;
}

describe('the voice library on a Chatterbox worker', { timeout: 120_000 }, () => {
  it('stores WAV, MP3, FLAC, Ogg Vorbis and Ogg Opus uploads as mono 24 kHz, lists, describes and serves them, and speaks with each at once', async (t) => {
    const source = encodeWav({ sampleRateHz: 48_000, channels: [voicedSound(48_000, 6, 150), voicedSound(48_000, 6, 150)], encoding: 'float32' });
    const uploads: Record<string, Uint8Array> = {
      wav: source,
      mp3: await encodeWithFfmpeg(source, 'mp3', { rateHz: 44_100 }),
      flac: await encodeWithFfmpeg(source, 'flac'),
      'ogg-vorbis': await encodeWithFfmpeg(source, 'ogg-vorbis'),
      'ogg-opus': await encodeWithFfmpeg(source, 'ogg-opus'),
    };
    for (const [format, data] of Object.entries(uploads)) {
      const name = `fmt-${format}`;
      const stored = await upload({ name, file: { filename: `clip.${format}`, data } });
      assert.equal(stored.status, 201, stored.body.toString());
      const record = jsonOf<{ name: string; durationSec: number; sampleRateHz: number; source: string }>(stored);
      assert.equal(record.name, name);
      assert.equal(record.source, format);
      assert.equal(record.sampleRateHz, 24_000);
      assert.ok(Math.abs(record.durationSec - 6) < 0.1, `${format}: ${record.durationSec} s`);
      const described = await httpRequest(`${worker.httpUrl}/v1/voices/${name}`);
      assert.equal(described.status, 200);
      assert.equal(jsonOf<{ durationSec: number }>(described).durationSec, record.durationSec);
      const audio = await httpRequest(`${worker.httpUrl}/v1/voices/${name}/audio`);
      assert.equal(audio.status, 200);
      assert.equal(audio.headers['content-type'], 'audio/wav');
      const header = readWavHeader(audio.body);
      assert.equal(header.sampleRateHz, 24_000);
      assert.equal(header.channels, 1);
    }
    const listed = jsonOf<{ voices: Array<{ name: string; builtIn?: boolean }> }>(await httpRequest(`${worker.httpUrl}/v1/voices`));
    assert.deepEqual(
      listed.voices.map((v) => v.name),
      [
        'default',
        ...Object.keys(uploads)
          .map((f) => `fmt-${f}`)
          .sort(),
      ],
    );
    assert.equal(listed.voices[0]!.builtIn, true);
    const client = await connect(t);
    for (const format of Object.keys(uploads)) {
      assert.ok(client.ready.voices.includes(`fmt-${format}`), 'a new connection is told of the uploaded voices');
      const samples = await speech(client.speak(SENTENCE, { voice: `fmt-${format}`, params: { seed: 2 } }));
      assert.ok(samples.length > 0, format);
    }
  });

  it('gives two different clips different speaker embeddings, and different speech for the same seed', async (t) => {
    assert.equal((await upload({ name: 'low', file: { filename: 'low.wav', data: clip(110) } })).status, 201);
    assert.equal((await upload({ name: 'high', file: { filename: 'high.wav', data: clip(280) } })).status, 201);
    const tiny = await loadTinyChatterbox({}, voicesDir);
    t.after(() => tiny.model.release());
    const [low, high] = await Promise.all([tiny.voices.get('low'), tiny.voices.get('high')]);
    const difference = maxDifference(floatData(low.speakerEmbeddings), floatData(high.speakerEmbeddings));
    assert.ok(difference.value > 1e-3, `speaker embeddings differ by ${difference.value}`);
    const client = await connect(t);
    const [lowSpeech, highSpeech] = await Promise.all([
      speech(client.speak(SENTENCE, { voice: 'low', params: { seed: 9 } })),
      speech(client.speak(SENTENCE, { voice: 'high', params: { seed: 9 } })),
    ]);
    assert.notDeepEqual(lowSpeech, highSpeech);
  });

  it("applies a voice's stored default parameters to requests that leave them out; the request's own values win", async (t) => {
    const data = clip(200);
    assert.equal((await upload({ name: 'plain', file: { filename: 'a.wav', data } })).status, 201);
    const warm = await upload({ name: 'warm', temperature: '0.3', exaggeration: '0.9', file: { filename: 'a.wav', data } });
    assert.equal(warm.status, 201);
    assert.deepEqual(jsonOf<{ params: unknown }>(warm).params, { temperature: 0.3, exaggeration: 0.9 });
    const client = await connect(t);
    const stored = await speech(client.speak(SENTENCE, { voice: 'warm', params: { seed: 5 } }));
    const explicit = await speech(client.speak(SENTENCE, { voice: 'plain', params: { seed: 5, temperature: 0.3, exaggeration: 0.9 } }));
    const plain = await speech(client.speak(SENTENCE, { voice: 'plain', params: { seed: 5 } }));
    assert.deepEqual(stored, explicit);
    assert.notDeepEqual(stored, plain);
    const overridden = await speech(client.speak(SENTENCE, { voice: 'warm', params: { seed: 5, temperature: 0.8, exaggeration: 0.5 } }));
    assert.deepEqual(overridden, plain, 'with every stored default overridden by its engine default the request speaks as the plain voice');
  });

  it('deletes a voice: a request already running finishes, new ones get UNKNOWN_VOICE, and a new upload of the name is encoded afresh', async (t) => {
    assert.equal((await upload({ name: 'brief', file: { filename: 'a.wav', data: clip(130) } })).status, 201);
    const client = await connect(t);
    const before = await speech(client.speak(SENTENCE, { voice: 'brief', params: { seed: 6 } }));
    const running = client.speak(`${SENTENCE} ${SENTENCE} ${SENTENCE}`, { voice: 'brief', params: { seed: 6 } });
    const iterator = running[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).done, false, 'the running request has begun');
    const deleted = await httpRequest(`${worker.httpUrl}/v1/voices/brief`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    while (!(await iterator.next()).done);
    assert.equal((await running.done).cancelled, false, 'the request that held the voice finished');
    assert.deepEqual(await readdir(voicesDir).then((files) => files.filter((f) => f.startsWith('brief'))), []);
    assert.equal((await httpRequest(`${worker.httpUrl}/v1/voices/brief`)).status, 404);
    await assert.rejects(speech(client.speak(SENTENCE, { voice: 'brief' })), (err: unknown) => err instanceof TtsError && err.code === 'UNKNOWN_VOICE');
    const tts = await postJson(`${worker.httpUrl}/v1/tts`, { text: SENTENCE, voice: 'brief' });
    assert.equal(tts.status, 400);
    assert.equal(errorCode(tts), 'UNKNOWN_VOICE');
    assert.equal((await upload({ name: 'brief', file: { filename: 'a.wav', data: clip(300) } })).status, 201);
    const after = await speech(client.speak(SENTENCE, { voice: 'brief', params: { seed: 6 } }));
    assert.notDeepEqual(after, before, 'the new clip under the old name is encoded, not the cached old one');
  });

  describe('refuses bad uploads with a coded 4xx and leaves the directory as it was', () => {
    const wav = clip(170);
    const truncatedMp3 = encodeWithFfmpeg(wav, 'mp3').then((mp3) => mp3.subarray(0, Math.floor(mp3.length / 2)));
    const lying = wav.slice();
    new DataView(lying.buffer).setUint32(40, wav.length * 4, true);
    const cases: Array<{ what: string; fields: () => Promise<Record<string, FormValue>>; status: number; code: string }> = [
      {
        what: 'a file that is not audio',
        fields: async () => ({ name: 'v1', file: { filename: 'a.wav', data: new TextEncoder().encode('not audio, just words') } }),
        status: 400,
        code: 'BAD_AUDIO',
      },
      { what: 'a truncated MP3', fields: async () => ({ name: 'v2', file: { filename: 'a.mp3', data: await truncatedMp3 } }), status: 400, code: 'BAD_AUDIO' },
      {
        what: 'a WAV whose header claims more data',
        fields: async () => ({ name: 'v3', file: { filename: 'a.wav', data: lying } }),
        status: 400,
        code: 'BAD_AUDIO',
      },
      { what: 'an empty file', fields: async () => ({ name: 'v4', file: { filename: 'a.wav', data: new Uint8Array(0) } }), status: 400, code: 'BAD_AUDIO' },
      { what: 'a clip too long', fields: async () => ({ name: 'v5', file: { filename: 'a.wav', data: clip(170, 40) } }), status: 413, code: 'AUDIO_TOO_LONG' },
      { what: 'a clip too short', fields: async () => ({ name: 'v6', file: { filename: 'a.wav', data: clip(170, 2) } }), status: 400, code: 'AUDIO_TOO_SHORT' },
      {
        what: 'a body over the upload limit',
        fields: async () => ({ name: 'v7', file: { filename: 'a.wav', data: new Uint8Array(MAX_UPLOAD_BYTES + 1) } }),
        status: 413,
        code: 'FRAME_TOO_LARGE',
      },
      { what: "a name with '../'", fields: async () => ({ name: '../escape', file: { filename: 'a.wav', data: wav } }), status: 400, code: 'BAD_VOICE_NAME' },
      { what: 'a name with a slash', fields: async () => ({ name: 'a/b', file: { filename: 'a.wav', data: wav } }), status: 400, code: 'BAD_VOICE_NAME' },
      {
        what: 'a name with a control character',
        fields: async () => ({ name: 'bad\u0001name', file: { filename: 'a.wav', data: wav } }),
        status: 400,
        code: 'BAD_VOICE_NAME',
      },
      {
        what: 'a name starting with a dot',
        fields: async () => ({ name: '.hidden', file: { filename: 'a.wav', data: wav } }),
        status: 400,
        code: 'BAD_VOICE_NAME',
      },
      { what: 'a name too long', fields: async () => ({ name: 'x'.repeat(65), file: { filename: 'a.wav', data: wav } }), status: 400, code: 'BAD_VOICE_NAME' },
      {
        what: 'the name of an engine voice',
        fields: async () => ({ name: 'default', file: { filename: 'a.wav', data: wav } }),
        status: 409,
        code: 'VOICE_EXISTS',
      },
      {
        what: 'an out-of-range default parameter',
        fields: async () => ({ name: 'v8', exaggeration: '5', file: { filename: 'a.wav', data: wav } }),
        status: 400,
        code: 'BAD_PARAM',
      },
      {
        what: 'a parameter that is not a number',
        fields: async () => ({ name: 'v9', temperature: 'warm', file: { filename: 'a.wav', data: wav } }),
        status: 400,
        code: 'BAD_PARAM',
      },
      { what: 'no file', fields: async () => ({ name: 'v10' }), status: 400, code: 'BAD_MESSAGE' },
      { what: 'no name', fields: async () => ({ file: { filename: 'a.wav', data: wav } }), status: 400, code: 'BAD_MESSAGE' },
    ];
    for (const { what, fields, status, code } of cases) {
      it(what, async () => {
        const beforeFiles = (await readdir(voicesDir)).sort();
        const result = await upload(await fields());
        assert.equal(result.status, status, result.body.toString());
        assert.equal(errorCode(result), code);
        assert.deepEqual((await readdir(voicesDir)).sort(), beforeFiles);
      });
    }

    it('a duplicate name, after the first upload of it succeeded', async () => {
      assert.equal((await upload({ name: 'twice', file: { filename: 'a.wav', data: wav } })).status, 201);
      const beforeFiles = (await readdir(voicesDir)).sort();
      const again = await upload({ name: 'twice', file: { filename: 'b.wav', data: clip(250) } });
      assert.equal(again.status, 409);
      assert.equal(errorCode(again), 'VOICE_EXISTS');
      assert.deepEqual((await readdir(voicesDir)).sort(), beforeFiles);
    });

    it('a body that is not multipart, and a form cut short', async () => {
      const json = await postJson(`${worker.httpUrl}/v1/voices`, { name: 'v11' });
      assert.equal(json.status, 415);
      assert.equal(errorCode(json), 'UNSUPPORTED_MEDIA_TYPE');
      const { body, contentType } = await formBody({ name: 'v12', file: { filename: 'a.wav', data: wav } });
      const cut = await httpRequest(`${worker.httpUrl}/v1/voices`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: body.subarray(0, body.length - 100),
      });
      assert.equal(cut.status, 400);
      assert.equal(errorCode(cut), 'BAD_MESSAGE');
    });

    it('names in the path that try to escape, unknown voices, and the engine voice', async () => {
      const beforeFiles = (await readdir(voicesDir)).sort();
      // A bare '%2e%2e' segment is resolved as '..' by URL parsing before any route sees it: it leaves the library.
      const dotted = await httpRequest(`${worker.httpUrl}/v1/voices/%2e%2e`, { method: 'DELETE' });
      assert.ok([400, 404].includes(dotted.status), String(dotted.status));
      for (const path of ['..%2F..%2Fetc%2Fpasswd', '..%2Fdefault', 'a%00b', 'x%0Ay']) {
        for (const method of ['GET', 'DELETE']) {
          const result = await httpRequest(`${worker.httpUrl}/v1/voices/${path}`, { method });
          assert.equal(result.status, 400, `${method} ${path}`);
          assert.equal(errorCode(result), 'BAD_VOICE_NAME');
        }
      }
      assert.equal((await httpRequest(`${worker.httpUrl}/v1/voices/nobody`)).status, 404);
      assert.equal((await httpRequest(`${worker.httpUrl}/v1/voices/nobody`, { method: 'DELETE' })).status, 404);
      const engineVoice = await httpRequest(`${worker.httpUrl}/v1/voices/default`, { method: 'DELETE' });
      assert.equal(engineVoice.status, 403);
      assert.deepEqual((await readdir(voicesDir)).sort(), beforeFiles);
    });
  });
});

describe('the voice library on a Flite worker', () => {
  it('refuses uploads with CLONING_UNSUPPORTED: its voices are fixed', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'flite-voices-'));
    const flite = await startTestWorker({ 'voices-dir': dir });
    t.after(async () => {
      await flite.close();
      await rm(dir, { recursive: true, force: true });
    });
    const result = await upload({ name: 'mine', file: { filename: 'a.wav', data: clip(170) } }, flite.httpUrl);
    assert.equal(result.status, 422);
    assert.equal(errorCode(result), 'CLONING_UNSUPPORTED');
    assert.match(jsonOf<{ error: { message: string } }>(result).error.message, /cloning not supported by this engine/);
    assert.deepEqual(await readdir(dir), []);
    const listed = jsonOf<{ cloning: boolean; voices: Array<{ name: string }> }>(await httpRequest(`${flite.httpUrl}/v1/voices`));
    assert.equal(listed.cloning, false);
    assert.ok(listed.voices.length > 0);
  });
});
