import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import { rms } from '../../src/audio/pcm.js';
import { ERROR_CODES, type ErrorCode } from '../../src/protocol/errors.js';
import { SPEECH_RMS_FLOOR, readWavHeader, samplesOf, wordCount } from '../helpers/audio.js';
import { httpRequest, jsonOf, postJson, type HttpResult } from '../helpers/http.js';
import { RawStream, withTimeout } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

const MAX_BODY_BYTES = 2048;
const MAX_TEXT_CHARS = 300;
const SENTENCE = 'The quick brown fox jumps over the lazy dog.';

let worker: TestWorker;
let tts: string;
before(async () => {
  worker = await startTestWorker({ 'max-frame-bytes': String(MAX_BODY_BYTES), 'max-text-chars': String(MAX_TEXT_CHARS) });
  tts = `${worker.httpUrl}/v1/tts`;
});
after(() => worker.close());

/** Asserts an HTTP error: the status of its code and the JSON body {error: {code, message, retryable}}. */
function assertHttpError(result: HttpResult, code: ErrorCode): void {
  assert.equal(result.status, ERROR_CODES[code].httpStatus, result.body.toString());
  assert.match(String(result.headers['content-type']), /^application\/json/);
  const body = jsonOf<{ error: { code: string; message: string; retryable: boolean } }>(result);
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  assert.equal(body.error.retryable, ERROR_CODES[code].retryable);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
}

/** The same text spoken over the WebSocket, as raw bytes: flite is deterministic, so HTTP must carry exactly these. */
async function streamedPcm(t: TestContext, text: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const stream = await RawStream.open(worker.wsUrl);
  t.after(() => stream.close());
  const result = await stream.speak('ref', text, extra);
  assert.equal(result.end.type, 'done');
  return Buffer.concat(result.audio.map((a) => a.pcm));
}

describe('POST /v1/tts', () => {
  it('answers a playable WAV: valid header, 16 kHz mono s16, speech of a plausible length', async (t) => {
    const result = await postJson(tts, { text: SENTENCE });
    assert.equal(result.status, 200, result.body.toString());
    assert.equal(result.headers['content-type'], 'audio/wav');
    assert.equal(result.headers['x-sample-rate'], '16000');
    const header = readWavHeader(result.body);
    const dataBytes = result.body.byteLength - 44;
    assert.deepEqual(
      { ...header, riffSize: 0, dataSize: 0 },
      {
        riff: 'RIFF',
        riffSize: 0,
        wave: 'WAVE',
        fmt: 'fmt ',
        fmtSize: 16,
        formatTag: 1,
        channels: 1,
        sampleRateHz: 16000,
        byteRate: 32000,
        blockAlign: 2,
        bitsPerSample: 16,
        data: 'data',
        dataSize: 0,
      },
    );
    // Streamed before its length is known, the sizes say "unknown" (0xFFFFFFFF); any exact size must match the body.
    assert.ok(header.dataSize === 0xffffffff || header.dataSize === dataBytes, `data size ${header.dataSize} vs ${dataBytes} bytes`);
    assert.ok(header.riffSize === 0xffffffff || header.riffSize === 36 + dataBytes);
    assert.equal(dataBytes % header.blockAlign, 0);
    const samples = samplesOf([result.body.subarray(44)]);
    const seconds = samples.length / 16000;
    const words = wordCount(SENTENCE);
    assert.ok(seconds > 0.15 * words && seconds < 1.0 * words, `${seconds} s for ${words} words`);
    assert.ok(rms(samples) > SPEECH_RMS_FLOOR, `rms ${rms(samples)}`);
    assert.deepEqual(result.body.subarray(44), await streamedPcm(t, SENTENCE));
  });

  it('answers raw PCM with ?format=pcm, its rate and format in headers', async (t) => {
    const result = await postJson(`${tts}?format=pcm`, { text: SENTENCE, voice: 'awb' });
    assert.equal(result.status, 200);
    assert.equal(result.headers['content-type'], 'application/octet-stream');
    assert.equal(result.headers['x-sample-rate'], '16000');
    assert.equal(result.headers['x-audio-format'], 's16le');
    assert.notEqual(result.body.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.ok(rms(samplesOf([result.body])) > SPEECH_RMS_FLOOR);
    assert.deepEqual(result.body, await streamedPcm(t, SENTENCE, { voice: 'awb' }));
  });

  it('answers a float WAV for format f32le', async () => {
    const result = await postJson(tts, { text: 'Floating point.', format: 'f32le' });
    assert.equal(result.status, 200);
    const header = readWavHeader(result.body);
    assert.equal(header.formatTag, 3);
    assert.equal(header.bitsPerSample, 32);
    assert.equal(result.headers['x-audio-format'], 'f32le');
    const samples = samplesOf([result.body.subarray(44)], 'f32le');
    assert.ok(rms(samples) > SPEECH_RMS_FLOOR);
    assert.ok(samples.every((s) => s >= -1 && s <= 1));
  });

  it('applies params: half speed is longer than double speed', async () => {
    const slow = await postJson(`${tts}?format=pcm`, { text: SENTENCE, params: { speed: 0.5 } });
    const fast = await postJson(`${tts}?format=pcm`, { text: SENTENCE, params: { speed: 2 } });
    assert.ok(slow.body.byteLength > 2 * fast.body.byteLength, `${slow.body.byteLength} vs ${fast.body.byteLength} bytes`);
  });
});

describe('POST /v1/tts errors have a status and a JSON body', () => {
  it('malformed JSON: 400 BAD_JSON', async () => {
    assertHttpError(await postJson(tts, '{"text": "unterminated'), 'BAD_JSON');
  });

  it('a wrong content type: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    assertHttpError(await postJson(tts, { text: 'Hi.' }, { 'content-type': 'text/plain' }), 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body over the limit: 413 FRAME_TOO_LARGE', async () => {
    assertHttpError(await postJson(tts, { text: 'a'.repeat(MAX_BODY_BYTES) }), 'FRAME_TOO_LARGE');
  });

  it('a mistyped field: 400 BAD_MESSAGE', async () => {
    assertHttpError(await postJson(tts, { text: ['Hi.'] }), 'BAD_MESSAGE');
  });

  it('empty text: 400 TEXT_EMPTY', async () => {
    assertHttpError(await postJson(tts, { text: '   ' }), 'TEXT_EMPTY');
  });

  it('text over the limit: 413 TEXT_TOO_LONG', async () => {
    assertHttpError(await postJson(tts, { text: 'a '.repeat(MAX_TEXT_CHARS) }), 'TEXT_TOO_LONG');
  });

  it('an unknown voice: 400 UNKNOWN_VOICE', async () => {
    assertHttpError(await postJson(tts, { text: 'Hi.', voice: 'nobody' }), 'UNKNOWN_VOICE');
  });

  it('a param out of range: 400 BAD_PARAM', async () => {
    assertHttpError(await postJson(tts, { text: 'Hi.', params: { speed: 0 } }), 'BAD_PARAM');
  });

  it('GET: 405 METHOD_NOT_ALLOWED with an Allow header', async () => {
    const result = await httpRequest(tts);
    assertHttpError(result, 'METHOD_NOT_ALLOWED');
    assert.equal(result.headers['allow'], 'POST');
  });

  it('an unknown path: 404 NOT_FOUND', async () => {
    assertHttpError(await httpRequest(`${worker.httpUrl}/v2/tts`, { method: 'POST' }), 'NOT_FOUND');
    assertHttpError(await httpRequest(`${worker.httpUrl}/nope`), 'NOT_FOUND');
  });

  it('still serves after every error above', async () => {
    const result = await postJson(`${tts}?format=pcm`, { text: 'Still here.' });
    assert.equal(result.status, 200);
    assert.ok(rms(samplesOf([result.body])) > SPEECH_RMS_FLOOR);
  });
});

describe('a refused request', () => {
  it('regression: a body that exceeds the limit after a DRAINING refusal leaves no unhandled rejection', async (t) => {
    const draining = await startTestWorker({ 'max-frame-bytes': '1024' });
    t.after(() => draining.close());
    draining.server.startDraining();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    t.after(() => process.off('unhandledRejection', onRejection));

    // By hand, to send the body only after the refusal came back, then a pipelined request
    // whose answer shows the worker has read the whole body.
    const socket = connectTcp(draining.port, '127.0.0.1');
    t.after(() => socket.destroy());
    let received = '';
    const arrivals = new Set<() => void>();
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      for (const check of [...arrivals]) check();
    });
    socket.on('close', () => {
      for (const check of [...arrivals]) check();
    });
    /** Resolves once `n` responses have begun, or the worker closed the connection. */
    const responses = (n: number) =>
      withTimeout(
        new Promise<void>((resolve) => {
          const check = () => {
            if (received.split('HTTP/1.1 ').length - 1 >= n || socket.destroyed) {
              arrivals.delete(check);
              resolve();
            }
          };
          arrivals.add(check);
          check();
        }),
        10_000,
        `${n} responses`,
      );
    await once(socket, 'connect');
    socket.write(`POST /v1/tts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 8192\r\n\r\n{"text":"`);
    await responses(1);
    assert.match(received, /^HTTP\/1\.1 503 /);
    assert.match(received, /"DRAINING"/);
    socket.write(`${'a'.repeat(8192 - 9)}GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await responses(2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(rejections, []);
  });
});
