import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import type { ErrorMessage } from '../../src/protocol/messages.js';
import type { WorkerHealth } from '../../src/server/health.js';
import { httpRequest, jsonOf, postJson } from '../helpers/http.js';
import { startTestWorkerFor } from '../helpers/per-test.js';
import { tryWebSocket } from '../helpers/ws-handshake.js';

const KEY = 'test-key-0123456789abcdef';
const WRONG = 'test-key-0123456789abcdeX';
const KEYS_ON = { auth: 'api-key', 'api-key': KEY };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('worker access: API keys', () => {
  it('serves no route and no WebSocket without a valid key, and says nothing about why', async (t) => {
    const worker = await startTestWorkerFor(t, KEYS_ON);
    const routes: Array<[method: string, path: string]> = [
      ['POST', '/v1/tts'],
      ['GET', '/metrics'],
      ['PUT', '/v1/tts'],
      ['GET', '/v1/stream'],
    ];
    for (const [method, path] of routes) {
      const missing = await httpRequest(`${worker.httpUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{"text":"hi"}' : undefined,
      });
      const wrong = await httpRequest(`${worker.httpUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...bearer(WRONG) },
        body: method === 'POST' ? '{"text":"hi"}' : undefined,
      });
      assert.equal(missing.status, 401, `${method} ${path} without a key`);
      assert.equal(wrong.status, 401, `${method} ${path} with a wrong key`);
      assert.deepEqual(missing.body, wrong.body, 'a missing and a wrong key read the same');
      assert.deepEqual(jsonOf(missing), { error: { code: 'UNAUTHORIZED', message: 'unauthorized', retryable: false } });
    }
    for (const headers of [{}, bearer(WRONG), { authorization: `Basic ${KEY}` }]) {
      const outcome = await tryWebSocket(worker.wsUrl, { headers });
      assert.equal(outcome.closeCode, 1008, JSON.stringify(headers));
      assert.deepEqual(outcome.frames, [{ type: 'error', code: 'UNAUTHORIZED', message: 'unauthorized', retryable: false }]);
    }
    const viaSubprotocol = await tryWebSocket(worker.wsUrl, { protocols: ['chatterbox.v1', `key.${WRONG}`] });
    assert.equal(viaSubprotocol.closeCode, 1008);
  });

  it('serves everything with a valid key, as a Bearer header or a subprotocol token it never echoes', async (t) => {
    const worker = await startTestWorkerFor(t, KEYS_ON);
    const spoken = await postJson(`${worker.httpUrl}/v1/tts`, { text: 'Hello.' }, bearer(KEY));
    assert.equal(spoken.status, 200);
    assert.equal((await httpRequest(`${worker.httpUrl}/metrics`, { headers: bearer(KEY) })).status, 200);
    const withHeader = await tryWebSocket(worker.wsUrl, { headers: bearer(KEY), untilFrames: 1 });
    assert.equal(withHeader.frames[0]?.type, 'ready');
    const withToken = await tryWebSocket(worker.wsUrl, { protocols: ['chatterbox.v1', `key.${KEY}`], untilFrames: 1 });
    assert.equal(withToken.frames[0]?.type, 'ready');
    assert.equal(withToken.protocol, 'chatterbox.v1');
  });

  it('keeps /health and the page open, and shows the pid only to callers with a key', async (t) => {
    const worker = await startTestWorkerFor(t, KEYS_ON);
    const anonymous = await httpRequest(`${worker.httpUrl}/health`);
    assert.equal(anonymous.status, 200);
    assert.equal(jsonOf<WorkerHealth>(anonymous).pid, undefined);
    assert.equal(jsonOf<WorkerHealth>(await httpRequest(`${worker.httpUrl}/health`, { headers: bearer(KEY) })).pid, process.pid);
    assert.equal(jsonOf<WorkerHealth>(await httpRequest(`${worker.httpUrl}/health`, { headers: bearer(WRONG) })).pid, undefined);
    assert.notEqual((await httpRequest(`${worker.httpUrl}/index.html`)).status, 401, 'the page that asks for the key is open');
  });
});

describe('worker access: origin and host', () => {
  it('refuses evil and null origins on the upgrade, accepts the same origin and clients without one', async (t) => {
    const worker = await startTestWorkerFor(t);
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${worker.port + 1}`]) {
      const outcome = await tryWebSocket(worker.wsUrl, { headers: { origin } });
      assert.equal(outcome.status, 403, origin);
      assert.deepEqual(JSON.parse(outcome.body ?? ''), { error: { code: 'FORBIDDEN', message: 'forbidden', retryable: false } });
    }
    const accepted: Array<Record<string, string>> = [{ origin: `http://127.0.0.1:${worker.port}` }, {}];
    for (const headers of accepted) {
      const outcome = await tryWebSocket(worker.wsUrl, { headers, untilFrames: 1 });
      assert.equal(outcome.frames[0]?.type, 'ready', JSON.stringify(headers));
    }
  });

  it('answers CORS preflights for allowed origins and refuses others on /v1/*', async (t) => {
    const worker = await startTestWorkerFor(t, { 'allowed-origin': 'https://app.example' });
    const preflight = (origin: string) =>
      httpRequest(`${worker.httpUrl}/v1/tts`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    const allowed = await preflight('https://app.example');
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
    assert.match(String(allowed.headers['access-control-allow-headers']), /authorization/);
    assert.match(String(allowed.headers['access-control-allow-methods']), /POST/);
    assert.equal((await preflight('http://evil.example')).status, 403);
    const spoken = await postJson(`${worker.httpUrl}/v1/tts`, { text: 'Hi.' }, { origin: 'https://app.example' });
    assert.equal(spoken.status, 200);
    assert.equal(spoken.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal((await postJson(`${worker.httpUrl}/v1/tts`, { text: 'Hi.' }, { origin: 'http://evil.example' })).status, 403);
  });

  it('refuses a Host it does not answer to (DNS rebinding), unless allowed', async (t) => {
    const worker = await startTestWorkerFor(t);
    assert.equal((await httpRequest(`${worker.httpUrl}/health`, { headers: { host: 'rebind.evil.example' } })).status, 403);
    assert.equal((await tryWebSocket(worker.wsUrl, { headers: { host: 'rebind.evil.example' } })).status, 403);
    assert.equal((await httpRequest(`${worker.httpUrl}/health`, { headers: { host: `localhost:${worker.port}` } })).status, 200);
    const opened = await startTestWorkerFor(t, { 'allowed-host': 'gpu1.internal' });
    assert.equal((await httpRequest(`${opened.httpUrl}/health`, { headers: { host: 'gpu1.internal:6093' } })).status, 200);
  });
});

describe('worker access: per-client limits', () => {
  it('answers a request over the per-minute limit with 429 RATE_LIMITED and a retry hint, on HTTP and WebSocket', async (t) => {
    const worker = await startTestWorkerFor(t, { 'limit-requests-per-min': '1' });
    assert.equal((await postJson(`${worker.httpUrl}/v1/tts`, { text: 'One.' })).status, 200);
    const limited = await postJson(`${worker.httpUrl}/v1/tts`, { text: 'Two.' });
    assert.equal(limited.status, 429);
    const body = jsonOf<{ error: { code: string; retryable: boolean; retryAfterMs: number } }>(limited);
    assert.equal(body.error.code, 'RATE_LIMITED');
    assert.equal(body.error.retryable, true);
    assert.ok(body.error.retryAfterMs > 0);
    assert.equal(limited.headers['retry-after'], String(Math.ceil(body.error.retryAfterMs / 1000)));
    const stream = await tryWebSocket(worker.wsUrl, { send: [{ type: 'start', id: 'r1', text: 'Three.' }], untilFrames: 2 });
    const error = stream.frames[1] as ErrorMessage;
    assert.deepEqual(
      { ...error, retryAfterMs: undefined },
      { type: 'error', id: 'r1', code: 'RATE_LIMITED', message: 'rate limit reached', retryable: true, retryAfterMs: undefined },
    );
    assert.ok((error.retryAfterMs ?? 0) > 0);
  });

  it('counts characters per minute', async (t) => {
    const worker = await startTestWorkerFor(t, { 'limit-chars-per-min': '10' });
    assert.equal((await postJson(`${worker.httpUrl}/v1/tts`, { text: 'Hi there.' })).status, 200);
    assert.equal((await postJson(`${worker.httpUrl}/v1/tts`, { text: 'And more.' })).status, 429);
  });

  it('refuses a session beyond the per-client limit with RATE_LIMITED and 1013', async (t) => {
    const worker = await startTestWorkerFor(t, { 'limit-sessions': '1' });
    const held = new WebSocket(worker.wsUrl);
    t.after(() => held.close());
    await once(held, 'message');
    const second = await tryWebSocket(worker.wsUrl);
    assert.equal(second.closeCode, 1013);
    assert.equal((second.frames[0] as ErrorMessage).code, 'RATE_LIMITED');
  });
});
