import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { BalancerServer } from '../../src/balancer/balancer-server.js';
import { ENCODABLE_FORMATS, type EncodableFormat } from '../../src/audio/encode/create-speech-encoder.js';
import { createLogger } from '../../src/logging/logger.js';
import type { WorkerHealth } from '../../src/server/health.js';
import { startTestBalancer } from '../helpers/balancer.js';
import { assertDuration, decodeAudio, requireFfmpeg } from '../helpers/ffmpeg.js';
import { httpRequest, jsonOf, postJson } from '../helpers/http.js';
import { RawStream } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// The official openai package as the client, against a real worker (Flite, 16 kHz, so every format is also
// resampled to 24 kHz) and through a real balancer in front of two workers.

const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let workers: TestWorker[];
let balancer: BalancerServer;

before(async () => {
  requireFfmpeg();
  workers = await Promise.all([startTestWorker({ 'max-text-chars': '50000' }), startTestWorker({ 'max-text-chars': '50000' })]);
  balancer = await startTestBalancer(
    workers.map((w) => w.port),
    { 'health-interval-ms': '100' },
    logger,
  );
});
after(async () => {
  await balancer.close();
  await Promise.all(workers.map((w) => w.close()));
});

function client(baseUrl: string): OpenAI {
  return new OpenAI({ apiKey: 'unused', baseURL: `${baseUrl}/v1`, maxRetries: 0 });
}

/** The sentence's length in samples at 24 kHz, from the worker's own 16 kHz WebSocket answer (Flite is deterministic). */
async function expectedSamples24k(text: string): Promise<number> {
  const stream = await RawStream.open(workers[0]!.wsUrl);
  try {
    const result = await stream.speak('ref', text);
    const samples16k = result.audio.reduce((n, a) => n + a.samples, 0);
    return Math.round((samples16k * 24_000) / 16_000);
  } finally {
    await stream.close();
  }
}

/** Reads a streamed body, counting the pieces it arrived in. */
async function readStreamed(body: ReadableStream<Uint8Array>): Promise<{ bytes: Buffer; pieces: number }> {
  const parts: Uint8Array[] = [];
  const reader = body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) parts.push(next.value);
  return { bytes: Buffer.concat(parts), pieces: parts.length };
}

/** The Content-Type each format is served with. */
const CONTENT_TYPES: Record<EncodableFormat, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg; codecs=opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

const targets = [
  ['a worker', () => workers[0]!.httpUrl],
  ['the balancer over two workers', () => `http://127.0.0.1:${balancer.port}`],
] as const;

for (const [where, baseUrl] of targets) {
  describe(`the openai client streams every format from ${where}`, () => {
    for (const format of ENCODABLE_FORMATS) {
      it(`${format}: decodes with ffmpeg to the spoken length`, async () => {
        const response = await client(baseUrl()).audio.speech.create({ model: 'tts-1', input: SENTENCE, voice: 'alloy', response_format: format });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), CONTENT_TYPES[format]);
        const { bytes } = await readStreamed(response.body!);
        const decoded = decodeAudio(bytes, { rawPcm: format === 'pcm' });
        assert.equal(decoded.channels, 1);
        assertDuration(format, decoded.samples24k, await expectedSamples24k(SENTENCE));
      });
    }

    for (const format of ['wav', 'aac'] as const) {
      it(`sse (${format}): speech.audio.delta events carry the audio in base64, then one speech.audio.done with usage`, async () => {
        const response = await client(baseUrl()).audio.speech.create({
          model: 'tts-1',
          input: SENTENCE,
          voice: 'alloy',
          response_format: format,
          stream_format: 'sse',
        });
        assert.match(String(response.headers.get('content-type')), /^text\/event-stream/);
        const text = (await readStreamed(response.body!)).bytes.toString('utf8');
        const events = text
          .split('\n\n')
          .filter((block) => block.length > 0)
          .map((block) => {
            assert.match(block, /^data: /);
            return JSON.parse(block.slice('data: '.length)) as { type: string; audio?: string; usage?: Record<string, number> };
          });
        const last = events.pop()!;
        assert.equal(last.type, 'speech.audio.done');
        assert.deepEqual(Object.keys(last.usage!).sort(), ['input_tokens', 'output_tokens', 'total_tokens']);
        assert.ok(events.length > 0);
        assert.ok(events.every((e) => e.type === 'speech.audio.delta' && typeof e.audio === 'string'));
        const audio = Buffer.concat(events.map((e) => Buffer.from(e.audio!, 'base64')));
        assertDuration(format, decodeAudio(audio).samples24k, await expectedSamples24k(SENTENCE));
      });
    }
  });
}

describe('first bytes leave before the utterance is done', () => {
  for (const [where, baseUrl] of targets) {
    // AAC carries a sixth of PCM's bytes per second: six times the text keeps it past the socket buffers too.
    for (const [format, repeats] of [
      ['pcm', 60],
      ['aac', 360],
    ] as const) {
      it(`${format} through ${where}: with the first piece read, the worker is still on the request`, async () => {
        // Far more audio than socket buffers hold: while the client reads nothing more the request cannot end.
        const input = `${SENTENCE} `.repeat(repeats);
        const response = await client(baseUrl()).audio.speech.create({ model: 'tts-1', input, voice: 'alloy', response_format: format, speed: 0.5 });
        const reader = response.body!.getReader();
        const first = await reader.read();
        assert.ok(first.value && first.value.byteLength > 0);
        const health = await Promise.all(workers.map(async (w) => jsonOf<WorkerHealth>(await httpRequest(`${w.httpUrl}/health`))));
        const inFlight = health.reduce((n, h) => n + h.activeRequests + h.pausedRequests + h.queuedRequests, 0);
        assert.ok(inFlight >= 1, `requests in flight on the workers: ${inFlight}`);
        await reader.cancel();
      });
    }
  }
});

describe('request fields', () => {
  it('speed reaches the engine as params.speed: half speed is more than twice as long as double speed', async () => {
    const speak = async (speed: number) => {
      const response = await client(workers[0]!.httpUrl).audio.speech.create({
        model: 'tts-1',
        input: SENTENCE,
        voice: 'alloy',
        response_format: 'pcm',
        speed,
      });
      return (await readStreamed(response.body!)).bytes.byteLength;
    };
    const [slow, fast] = [await speak(0.5), await speak(2)];
    assert.ok(slow > 2 * fast, `${slow} vs ${fast} bytes`);
  });

  it('fields this server does not use (instructions, unknown extras) are accepted; an engine voice is used by name', async () => {
    const named = await postJson(`${workers[0]!.httpUrl}/v1/audio/speech`, {
      input: SENTENCE,
      voice: 'awb',
      response_format: 'pcm',
      instructions: 'Cheerful.',
      user: 'u1',
    });
    const aliased = await postJson(`${workers[0]!.httpUrl}/v1/audio/speech`, { input: SENTENCE, voice: 'alloy', response_format: 'pcm' });
    assert.equal(named.status, 200, named.body.toString());
    assert.equal(aliased.status, 200);
    assert.notDeepEqual(named.body, aliased.body, 'awb is not the default voice');
  });
});

describe('GET /v1/audio/voices and /v1/models', () => {
  it('lists the engine voices and the OpenAI names that stand for the default voice', async () => {
    const body = jsonOf<{ voices: { id: string; alias_of?: string }[]; default: string }>(await httpRequest(`${workers[0]!.httpUrl}/v1/audio/voices`));
    assert.ok(body.voices.some((v) => v.id === body.default && v.alias_of === undefined));
    assert.deepEqual(
      body.voices.find((v) => v.id === 'alloy'),
      { id: 'alloy', name: 'alloy', alias_of: body.default },
    );
  });

  it('the openai client lists the models, through the balancer too', async () => {
    for (const [, baseUrl] of targets) {
      const ids = [];
      for await (const model of client(baseUrl()).models.list()) ids.push(model.id);
      assert.ok(ids.includes('tts-1') && ids.includes('flite'), ids.join(', '));
    }
  });
});

/** Asserts OpenAI's error JSON with our code and the field at fault. */
function assertOpenAiError(result: { status: number; body: Buffer }, status: number, code: string, param: string | null): void {
  assert.equal(result.status, status, result.body.toString());
  const body = JSON.parse(result.body.toString()) as { error: { message: string; type: string; param: string | null; code: string } };
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, code);
  assert.equal(body.error.param, param);
  assert.equal(body.error.type, 'invalid_request_error');
  assert.ok(body.error.message.length > 0);
}

describe('bad speech requests get a precise 4xx in OpenAI error JSON', () => {
  const speech = () => `${workers[0]!.httpUrl}/v1/audio/speech`;
  const cases: [string, unknown, number, string, string | null][] = [
    ['unknown response_format', { input: SENTENCE, voice: 'alloy', response_format: 'ogg' }, 400, 'BAD_FORMAT', 'response_format'],
    ['unknown voice', { input: SENTENCE, voice: 'nobody' }, 400, 'UNKNOWN_VOICE', 'voice'],
    ['speed below range', { input: SENTENCE, speed: 0.1 }, 400, 'BAD_PARAM', 'speed'],
    ['speed above range', { input: SENTENCE, speed: 4.5 }, 400, 'BAD_PARAM', 'speed'],
    ['speed not a number', { input: SENTENCE, speed: 'fast' }, 400, 'BAD_MESSAGE', 'speed'],
    ['missing input', { voice: 'alloy' }, 400, 'BAD_MESSAGE', 'input'],
    ['empty input', { input: '   ' }, 400, 'TEXT_EMPTY', 'input'],
    ['input not a string', { input: 42 }, 400, 'BAD_MESSAGE', 'input'],
    ['oversized input', { input: 'a'.repeat(50_001) }, 413, 'TEXT_TOO_LONG', 'input'],
    ['voice of a wrong type', { input: SENTENCE, voice: 7 }, 400, 'BAD_MESSAGE', 'voice'],
    ['unknown stream_format', { input: SENTENCE, stream_format: 'ws' }, 400, 'BAD_MESSAGE', 'stream_format'],
    ['a body that is not an object', [SENTENCE], 400, 'BAD_MESSAGE', null],
  ];
  for (const [name, body, status, code, param] of cases) {
    it(name, async () => assertOpenAiError(await postJson(speech(), body), status, code, param));
  }

  it('bad JSON', async () => assertOpenAiError(await postJson(speech(), '{"input": '), 400, 'BAD_JSON', null));

  it('the same shape through the balancer, and the openai client reads it as an APIError', async () => {
    assertOpenAiError(
      await postJson(`http://127.0.0.1:${balancer.port}/v1/audio/speech`, { input: SENTENCE, response_format: 'ogg' }),
      400,
      'BAD_FORMAT',
      'response_format',
    );
    await assert.rejects(
      client(`http://127.0.0.1:${balancer.port}`).audio.speech.create({ model: 'tts-1', input: SENTENCE, voice: 'nobody' }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 400 && err.code === 'UNKNOWN_VOICE' && err.param === 'voice',
    );
  });

  it('a wrong method: 405 with Allow', async () => {
    const result = await httpRequest(speech());
    assert.equal(result.status, 405);
    assert.equal(result.headers.allow, 'POST');
  });
});
