import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { BalancerServer } from '../../src/balancer/balancer-server.js';
import { startTestBalancer } from '../helpers/balancer.js';
import { httpRequest, jsonOf, postJson, type HttpResult } from '../helpers/http.js';
import { RawStream } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// The served API descriptions checked against what a live worker and a live balancer answer: every route's
// answer validates against the schema the OpenAPI document gives for its path, method, status and media type.

let worker: TestWorker;
let balancer: BalancerServer;
let openApi: { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
const ajv = new Ajv2020({ strict: false, allErrors: true });

before(async () => {
  worker = await startTestWorker();
  balancer = await startTestBalancer([worker.port]);
  const answer = await httpRequest(`${worker.httpUrl}/openapi.json`);
  assert.equal(answer.status, 200);
  openApi = jsonOf(answer);
  ajv.addSchema(openApi, 'openapi');
});
after(async () => {
  await balancer.close();
  await worker.close();
});

/** JSON Pointer escaping of one path segment. */
const pointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** Validates a live answer against the document's schema for it; fails when the document has none. */
function assertDescribed(path: string, method: string, result: HttpResult): void {
  const mediaType = String(result.headers['content-type']).split(';')[0]!.trim();
  const response = openApi.paths[path]?.[method]?.responses[String(result.status)];
  assert.ok(response, `no ${result.status} response described for ${method.toUpperCase()} ${path}`);
  assert.ok(response.content?.[mediaType], `${method.toUpperCase()} ${path} ${result.status}: ${mediaType} not described`);
  const ref = `openapi#/paths/${pointer(path)}/${method}/responses/${result.status}/content/${pointer(mediaType)}/schema`;
  const validate = ajv.getSchema(ref);
  assert.ok(validate, `cannot compile ${ref}`);
  const body = mediaType.endsWith('json') ? (JSON.parse(result.body.toString()) as unknown) : result.body.toString();
  assert.ok(validate(body), `${method.toUpperCase()} ${path} ${result.status}: ${ajv.errorsText(validate.errors)}`);
}

describe('GET /openapi.json and /asyncapi.json', () => {
  it('an OpenAPI 3.1 document describing every route, also through the balancer', async () => {
    assert.equal(openApi.openapi, '3.1.0');
    for (const path of [
      '/health',
      '/lb-stats',
      '/metrics',
      '/v1/tts',
      '/v1/audio/speech',
      '/v1/audio/voices',
      '/v1/models',
      '/v1/voices',
      '/v1/voices/{name}',
      '/v1/voices/{name}/audio',
      '/synthesize',
      '/synthesize-json',
      '/audio/{file}',
      '/voices',
      '/openapi.json',
      '/asyncapi.json',
    ]) {
      assert.ok(openApi.paths[path], `${path} is described`);
    }
    assert.deepEqual(jsonOf(await httpRequest(`http://127.0.0.1:${balancer.port}/openapi.json`)), openApi);
  });

  it('an AsyncAPI 3.0 document of the WebSocket with every frame type', async () => {
    const doc = jsonOf<{ asyncapi: string; channels: { stream: { address: string; messages: Record<string, { payload: unknown }> } } }>(
      await httpRequest(`${worker.httpUrl}/asyncapi.json`),
    );
    assert.equal(doc.asyncapi, '3.0.0');
    assert.equal(doc.channels.stream.address, '/v1/stream');
    assert.deepEqual(Object.keys(doc.channels.stream.messages).sort(), ['audio', 'cancel', 'done', 'end', 'error', 'flush', 'ready', 'start', 'text']);
    const validators = Object.fromEntries(Object.entries(doc.channels.stream.messages).map(([name, m]) => [name, ajv.compile(m.payload as object)]));
    // Live frames of every JSON-shaped kind validate against their payload schemas (audio carries binary).
    const stream = await RawStream.open(worker.wsUrl);
    try {
      const done = await stream.speak('a', 'Hello.');
      const failed = await stream.speak('b', '   ');
      for (const frame of [stream.ready, done.end, failed.end]) {
        const validate = validators[frame.type]!;
        assert.ok(validate(frame), `${frame.type}: ${ajv.errorsText(validate.errors)}`);
      }
      assert.equal(validators.start!({ type: 'start', id: 'x', text: 'Hi.', format: 'opus' }), true);
      assert.equal(validators.start!({ type: 'start', id: 'x', text: 'Hi.', format: 'mp3' }), false);
    } finally {
      await stream.close();
    }
  });
});

describe('live answers validate against the OpenAPI schemas', () => {
  const worker_ = () => worker.httpUrl;
  const balancer_ = () => `http://127.0.0.1:${balancer.port}`;
  const cases: [string, () => string, string, string, () => Promise<HttpResult>][] = [
    ['worker health', worker_, '/health', 'get', () => httpRequest(`${worker_()}/health`)],
    ['balancer health', balancer_, '/health', 'get', () => httpRequest(`${balancer_()}/health`)],
    ['lb-stats', balancer_, '/lb-stats', 'get', () => httpRequest(`${balancer_()}/lb-stats`)],
    ['lb-stats as text', balancer_, '/lb-stats', 'get', () => httpRequest(`${balancer_()}/lb-stats?format=text`)],
    ['worker metrics', worker_, '/metrics', 'get', () => httpRequest(`${worker_()}/metrics`)],
    ['voices', worker_, '/v1/audio/voices', 'get', () => httpRequest(`${worker_()}/v1/audio/voices`)],
    ['models through the balancer', balancer_, '/v1/models', 'get', () => httpRequest(`${balancer_()}/v1/models`)],
    ['a /v1/tts error', worker_, '/v1/tts', 'post', () => postJson(`${worker_()}/v1/tts`, { text: '' })],
    ['a /v1/tts error through the balancer', balancer_, '/v1/tts', 'post', () => postJson(`${balancer_()}/v1/tts`, '{bad')],
    ['a speech error', worker_, '/v1/audio/speech', 'post', () => postJson(`${worker_()}/v1/audio/speech`, { input: 'Hi.', speed: 9 })],
    ['a speech error through the balancer', balancer_, '/v1/audio/speech', 'post', () => postJson(`${balancer_()}/v1/audio/speech`, { voice: 'x' })],
    ['speech audio', worker_, '/v1/audio/speech', 'post', () => postJson(`${worker_()}/v1/audio/speech`, { input: 'Hi.', response_format: 'wav' })],
    ['speech audio in aac', worker_, '/v1/audio/speech', 'post', () => postJson(`${worker_()}/v1/audio/speech`, { input: 'Hi.', response_format: 'aac' })],
    ['speech events', worker_, '/v1/audio/speech', 'post', () => postJson(`${worker_()}/v1/audio/speech`, { input: 'Hi.', stream_format: 'sse' })],
    ['tts audio', worker_, '/v1/tts', 'post', () => postJson(`${worker_()}/v1/tts`, { text: 'Hi.' })],
    ['voice library list', worker_, '/v1/voices', 'get', () => httpRequest(`${worker_()}/v1/voices`)],
    ['an unknown voice', worker_, '/v1/voices/{name}', 'get', () => httpRequest(`${worker_()}/v1/voices/nobody`)],
    ['an upload to a fixed-voice engine', balancer_, '/v1/voices', 'post', () => postJson(`${balancer_()}/v1/voices`, { name: 'x' })],
    ['original voices', worker_, '/voices', 'get', () => httpRequest(`${worker_()}/voices`)],
    ['original synthesis', worker_, '/synthesize-json', 'post', () => postJson(`${worker_()}/synthesize-json`, { text: 'Hi.' })],
    ['an original synthesis error', balancer_, '/synthesize-json', 'post', () => postJson(`${balancer_()}/synthesize-json`, { text: '' })],
    ['a missing audio file', balancer_, '/audio/{file}', 'get', () => httpRequest(`${balancer_()}/audio/tts-${'0'.repeat(32)}.wav`)],
  ];
  for (const [name, , path, method, call] of cases) {
    it(name, async () => {
      const result = await call();
      if (!String(result.headers['content-type']).startsWith('audio/')) assertDescribed(path, method, result);
      else assert.ok(openApi.paths[path]?.[method]?.responses[String(result.status)]?.content?.[String(result.headers['content-type'])]);
    });
  }

  it('a schema that does not fit is caught: the check can fail', () => {
    assert.throws(() =>
      assertDescribed('/v1/models', 'get', {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from('{"object":"list"}'),
        elapsedMs: 0,
      }),
    );
    assert.throws(() =>
      assertDescribed('/v1/models', 'get', { status: 418, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}'), elapsedMs: 0 }),
    );
  });
});
