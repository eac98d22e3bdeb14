import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkerHealth } from '../../src/server/health.js';
import type { DoneMessage } from '../../src/protocol/messages.js';
import { longText } from '../helpers/audio.js';
import { httpRequest, jsonOf, postJson } from '../helpers/http.js';
import { openRawStreamFor as connect, startTestWorkerFor as worker } from '../helpers/per-test.js';

/** The value of one sample of a Prometheus text exposition, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v) && Object.keys(have).length === Object.keys(labels).length) {
      return Number(match[3]);
    }
  }
  return undefined;
}

describe('GET /health', () => {
  it('describes an idle worker', async (t) => {
    const w = await worker(t);
    await connect(t, w.wsUrl);
    const result = await httpRequest(`${w.httpUrl}/health`);
    assert.equal(result.status, 200);
    const health = jsonOf<WorkerHealth>(result);
    assert.equal(health.status, 'ok');
    assert.equal(health.engine, 'flite');
    assert.deepEqual(health.voices, ['slt', 'rms', 'awb', 'kal16']);
    assert.equal(health.sessions, 1);
    assert.equal(health.activeRequests, 0);
    assert.equal(health.queuedRequests, 0);
    assert.equal(health.capacity, 8);
    assert.equal(health.loadScore, 0);
    assert.equal(health.pid, undefined, 'no pid for anonymous callers');
  });

  it('answers while 8 sessions are generating long texts', async (t) => {
    const w = await worker(t);
    const streams = await Promise.all(Array.from({ length: 8 }, () => connect(t, w.wsUrl)));
    const text = longText(12);
    streams.forEach((s, i) => s.send({ type: 'start', id: `load${i}`, text, voice: 'kal16' }));
    await Promise.all(streams.map((s, i) => s.waitFor((f) => f.type === 'audio' && f.id === `load${i}`)));

    // One /health while all 8 generate, then one as each request ends: timed under load, never busy-looping.
    const answers: Array<{ ms: number; status: number; activeRequests: number }> = [];
    const askHealth = async () => {
      const result = await httpRequest(`${w.httpUrl}/health`);
      answers.push({ ms: result.elapsedMs, status: result.status, activeRequests: jsonOf<WorkerHealth>(result).activeRequests });
    };
    await askHealth();
    const results = await Promise.all(
      streams.map(async (s, i) => {
        const result = await s.result(`load${i}`, 60_000);
        await askHealth();
        return result;
      }),
    );

    t.diagnostic(`/health during load: ${answers.map((a) => `${a.ms.toFixed(1)} ms (active ${a.activeRequests})`).join(', ')}`);
    assert.ok(answers.every((a) => a.status === 200));
    assert.ok(answers[0]!.activeRequests > 0, 'the first answer came while every session was generating');
    for (const result of results) {
      assert.equal(result.end.type, 'done');
      assert.equal((result.end as DoneMessage).chunks, result.audio.length);
    }
  });
});

describe('GET /metrics', () => {
  it('is Prometheus text that counts the requests this test made', async (t) => {
    const w = await worker(t);
    const stream = await connect(t, w.wsUrl);
    const done1 = await stream.speak('ok1', 'First request.');
    const done2 = await stream.speak('ok2', 'Second request.', { format: 'f32le' });
    stream.send({ type: 'start', id: 'cancel-me', text: longText(10), voice: 'kal16' });
    await stream.waitFor((f) => f.type === 'audio' && f.id === 'cancel-me');
    stream.send({ type: 'cancel', id: 'cancel-me' });
    const cancelled = await stream.result('cancel-me');
    await stream.speak('bad-voice', 'Hi.', { voice: 'nobody' });
    const from = stream.frames.length;
    stream.sendRaw(new Uint8Array([0xc1]));
    await stream.nextConnectionError(from);
    const http = await postJson(`${w.httpUrl}/v1/tts`, { text: 'Over HTTP.' });
    assert.equal(http.status, 200);
    assert.equal((await postJson(`${w.httpUrl}/v1/tts`, '{')).status, 400);

    const result = await httpRequest(`${w.httpUrl}/metrics`);
    assert.equal(result.status, 200);
    assert.match(String(result.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = result.body.toString();
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?(\d+(\.\d+)?(e[+-]?\d+)?|\+Inf|NaN)$/, `not an exposition line: ${line}`);
    }
    for (const name of ['chatterbox_requests_total', 'chatterbox_errors_total', 'chatterbox_ttfa_seconds', 'chatterbox_ws_connections']) {
      assert.match(text, new RegExp(`^# HELP ${name} `, 'm'));
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'));
    }

    assert.equal(cancelled.end.type === 'done' && cancelled.end.cancelled, true);
    assert.equal(sample(text, 'chatterbox_requests_total', { transport: 'ws', outcome: 'done' }), 2);
    assert.equal(sample(text, 'chatterbox_requests_total', { transport: 'ws', outcome: 'cancelled' }), 1);
    assert.equal(sample(text, 'chatterbox_requests_total', { transport: 'http', outcome: 'done' }), 1);
    assert.equal(sample(text, 'chatterbox_requests_total', { transport: 'http', outcome: 'error' }), 1);
    assert.equal(sample(text, 'chatterbox_errors_total', { code: 'UNKNOWN_VOICE' }), 1);
    assert.equal(sample(text, 'chatterbox_errors_total', { code: 'BAD_FRAME' }), 1);
    assert.equal(sample(text, 'chatterbox_errors_total', { code: 'BAD_JSON' }), 1);
    assert.equal(sample(text, 'chatterbox_ws_connections'), 1);
    assert.equal(sample(text, 'chatterbox_active_requests'), 0);
    assert.equal(sample(text, 'chatterbox_ttfa_seconds_count'), 4, 'every request that produced audio has a TTFA');
    const audioSeconds = [done1, done2, cancelled].reduce((s, r) => s + (r.end as DoneMessage).metrics.audioMs / 1000, 0);
    const counted = sample(text, 'chatterbox_audio_seconds_total')!;
    assert.ok(counted > audioSeconds && counted < audioSeconds + 10, `audio seconds ${counted}, websocket alone ${audioSeconds}`);
  });
});

describe('routing', () => {
  it('answers unknown paths and methods with 404 NOT_FOUND', async (t) => {
    const w = await worker(t);
    for (const [method, path] of [
      ['GET', '/no-such-page'],
      ['POST', '/health'],
      ['DELETE', '/metrics'],
      ['GET', '/v1/stream/x'],
    ] as const) {
      const result = await httpRequest(`${w.httpUrl}${path}`, { method });
      assert.equal(result.status, 404, `${method} ${path}`);
      assert.equal(jsonOf<{ error: { code: string } }>(result).error.code, 'NOT_FOUND');
    }
  });
});
