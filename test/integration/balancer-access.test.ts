import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { httpRequest, jsonOf, postJson } from '../helpers/http.js';
import { startBalancerFor, startTestWorkerFor } from '../helpers/per-test.js';
import { tryWebSocket } from '../helpers/ws-handshake.js';

const CLIENT_KEY = 'client-key-0123456789abcdef';
const WORKER_KEY = 'worker-key-0123456789abcdef';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function startKeyedBackend(t: TestContext, balancerSettings: Record<string, string> = {}) {
  const worker = await startTestWorkerFor(t, { auth: 'api-key', 'api-key': WORKER_KEY });
  const balancer = await startBalancerFor(t, [worker.port], { auth: 'api-key', 'api-key': CLIENT_KEY, ...balancerSettings });
  return { worker, balancer, httpUrl: `http://127.0.0.1:${balancer.port}`, wsUrl: `ws://127.0.0.1:${balancer.port}/v1/stream` };
}

describe('balancer access: API keys', () => {
  it('serves nothing without a valid client key: every route and the WebSocket', async (t) => {
    const { httpUrl, wsUrl } = await startKeyedBackend(t, { 'worker-api-key': WORKER_KEY });
    for (const [method, path] of [
      ['POST', '/v1/tts'],
      ['GET', '/lb-stats'],
      ['GET', '/metrics'],
      ['GET', '/v1/anything'],
    ] as const) {
      for (const headers of [{}, bearer(WORKER_KEY)]) {
        const result = await httpRequest(`${httpUrl}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...headers },
          body: method === 'POST' ? '{"text":"hi"}' : undefined,
        });
        assert.equal(result.status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
        assert.deepEqual(jsonOf(result), { error: { code: 'UNAUTHORIZED', message: 'unauthorized', retryable: false } });
      }
    }
    const refused = await tryWebSocket(wsUrl, { headers: bearer(WORKER_KEY) });
    assert.equal(refused.closeCode, 1008, 'the worker key is not a client key');
    assert.equal(refused.frames[0]?.type, 'error');
  });

  it('speaks with a client key, presenting its own worker key to workers that require one', async (t) => {
    const { httpUrl, wsUrl } = await startKeyedBackend(t, { 'worker-api-key': WORKER_KEY });
    assert.equal((await postJson(`${httpUrl}/v1/tts`, { text: 'Hello.' }, bearer(CLIENT_KEY))).status, 200);
    const spoken = await tryWebSocket(wsUrl, { headers: bearer(CLIENT_KEY), send: [{ type: 'start', id: 'a', text: 'Hello.' }], untilType: 'done' });
    assert.equal(spoken.frames[0]?.type, 'ready');
    assert.equal(spoken.frames.at(-1)?.type, 'done');
    const viaToken = await tryWebSocket(wsUrl, { protocols: ['chatterbox.v1', `key.${CLIENT_KEY}`], untilFrames: 1 });
    assert.equal(viaToken.frames[0]?.type, 'ready');
  });

  it('does not pass a client key on to workers: without a worker key they refuse it', async (t) => {
    const { httpUrl } = await startKeyedBackend(t, { 'api-key': `${CLIENT_KEY},${WORKER_KEY}` });
    const result = await postJson(`${httpUrl}/v1/tts`, { text: 'Hello.' }, bearer(WORKER_KEY));
    assert.equal(result.status, 401, 'the worker answered 401 to the balancer, which passed it on');
  });

  it('limits requests per client key with RATE_LIMITED', async (t) => {
    const { httpUrl } = await startKeyedBackend(t, { 'worker-api-key': WORKER_KEY, 'limit-requests-per-min': '1' });
    assert.equal((await postJson(`${httpUrl}/v1/tts`, { text: 'One.' }, bearer(CLIENT_KEY))).status, 200);
    const limited = await postJson(`${httpUrl}/v1/tts`, { text: 'Two.' }, bearer(CLIENT_KEY));
    assert.equal(limited.status, 429);
    assert.equal(jsonOf<{ error: { code: string } }>(limited).error.code, 'RATE_LIMITED');
  });
});
