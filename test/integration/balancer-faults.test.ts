import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import type { BalancerServer } from '../../src/balancer/balancer-server.js';
import type { LbStats } from '../../src/balancer/lb-stats.js';
import { createLogger } from '../../src/logging/logger.js';
import type { ErrorMessage } from '../../src/protocol/messages.js';
import type { WorkerHealth } from '../../src/server/health.js';
import { longText } from '../helpers/audio.js';
import { httpRequest, jsonOf, postJson } from '../helpers/http.js';
import { packEntries } from '../helpers/msgpack-map.js';
import { pollUntil } from '../helpers/poll.js';
import { RawStream, assertCompleted, summarize, withTimeout } from '../helpers/raw-stream.js';
import { startTcpRelay } from '../helpers/tcp-relay.js';
import { spawnWorkerProcessFor, startBalancerFor } from '../helpers/per-test.js';

// Regressions of issue 11's balancer defects: each runs real worker processes behind a real balancer.

const SENTENCE = 'The quick brown fox jumps over the lazy dog near the river bank.';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

interface Worker {
  port: number;
  child: ChildProcess;
}

function startWorker(t: TestContext, args: string[] = []): Promise<Worker> {
  return spawnWorkerProcessFor(t, ['--max-text-chars', '50000', '--log-level', 'warn', ...args]);
}

/** A balancer over `backends` (ports); health polled rarely unless `settings` say otherwise, so only what a test does changes a state. */
function startBalancer(t: TestContext, backends: number[], settings: Record<string, string> = {}): Promise<BalancerServer> {
  return startBalancerFor(t, backends, { 'health-interval-ms': '60000', rise: '1', fall: '3', ...settings }, logger);
}

async function stats(balancer: BalancerServer): Promise<LbStats> {
  return jsonOf<LbStats>(await httpRequest(`http://127.0.0.1:${balancer.port}/lb-stats`));
}

async function open(t: TestContext, balancer: BalancerServer): Promise<RawStream> {
  const stream = await RawStream.open(`ws://127.0.0.1:${balancer.port}/v1/stream`);
  t.after(() => stream.close());
  return stream;
}

async function workerSessions(worker: Worker): Promise<number> {
  return jsonOf<WorkerHealth>(await httpRequest(`http://127.0.0.1:${worker.port}/health`)).sessions;
}

/** Sends raw bytes over a fresh TCP connection and resolves with the HTTP status line's code. */
async function rawHttpStatus(port: number, request: string): Promise<number> {
  const socket = tcpConnect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  socket.end(Buffer.from(request, 'latin1'));
  await withTimeout(once(socket, 'close'), 10_000, 'the HTTP answer');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
  assert.ok(status, `no HTTP status line in ${JSON.stringify(answer.slice(0, 80))}`);
  return Number(status[1]);
}

/** The worker the only open session is pinned to. */
async function pinnedWorker(balancer: BalancerServer, workers: Worker[]): Promise<Worker> {
  const s = await stats(balancer);
  const index = s.backends.findIndex((b) => b.sessions === 1);
  assert.ok(index >= 0, `no pinned session: ${JSON.stringify(s.backends.map((b) => b.sessions))}`);
  return workers[index]!;
}

describe('balancer faults (issue 11)', () => {
  it("regression: an HTTP header Node's client refuses gets 400 and marks no worker down", async (t) => {
    const workers = [await startWorker(t), await startWorker(t)];
    const balancer = await startBalancer(
      t,
      workers.map((w) => w.port),
    );
    const status = await rawHttpStatus(balancer.port, 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: a\x7f\r\nConnection: close\r\n\r\n');
    assert.equal(status, 400, "the client's bad request is refused as such");
    const s = await stats(balancer);
    assert.deepEqual(
      s.backends.map((b) => b.state),
      ['up', 'up'],
      'no worker is blamed',
    );
    assert.deepEqual(
      s.backends.map((b) => b.lastError),
      [null, null],
    );
    assert.equal(s.totals.noBackend, 0);
  });

  it('regression: one dropped worker link is checked, not taken as proof the worker is down', async (t) => {
    const worker = await startWorker(t);
    const relay = await startTcpRelay(worker.port);
    t.after(() => relay.close());
    const balancer = await startBalancer(t, [relay.port]);
    const stream = await open(t, balancer);
    const firstAudio = stream.waitFor((f) => f.type === 'audio' && f.id === 'cut');
    stream.send({ type: 'start', id: 'cut', text: longText(60) });
    await firstAudio;
    assert.ok(relay.cutAll() >= 1, 'the worker link is cut (and the idle health-check connection with it)');
    const cut = await stream.result('cut');
    assert.equal(cut.end.type, 'error');
    assert.equal((cut.end as ErrorMessage).code, 'BACKEND_LOST');
    assert.equal((cut.end as ErrorMessage).retryable, true);

    // The only worker is healthy: the session goes on with it at once (health polls are a minute apart here).
    assertCompleted(await stream.speak('after', SENTENCE));
    const s = await stats(balancer);
    assert.equal(s.backends[0]!.state, 'up');
    assert.equal(s.totals.noBackend, 0);
    assert.equal(s.totals.failovers, 1);
  });

  it('regression: a request on a stopped worker ends with a retryable error at the progress deadline', async (t) => {
    const workers = [await startWorker(t), await startWorker(t)];
    const balancer = await startBalancer(
      t,
      workers.map((w) => w.port),
      { 'progress-timeout-ms': '500' },
    );
    const stream = await open(t, balancer);
    const victim = await pinnedWorker(balancer, workers);
    stream.onFrame = (frame) => {
      if (frame.type === 'audio' && frame.id === 'stalled' && frame.seq === 0) victim.child.kill('SIGSTOP');
    };
    stream.send({ type: 'start', id: 'stalled', text: longText(200) });
    const result = await stream.result('stalled', 10_000);
    assert.equal(result.end.type, 'error', 'the request ends while the worker is still stopped');
    const error = result.end as ErrorMessage;
    assert.equal(error.code, 'BACKEND_LOST');
    assert.equal(error.retryable, true);
    const { seqs } = summarize(result);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i),
      'the audio that did arrive is contiguous from 0',
    );
    assert.equal(stream.frames.filter((f) => (f.type === 'done' || f.type === 'error') && f.id === 'stalled').length, 1, 'exactly one end');
    assert.equal(victim.child.signalCode, null, 'still stopped, not dead');

    stream.onFrame = undefined;
    assertCompleted(await stream.speak('next', SENTENCE));
    assert.equal((await stats(balancer)).backends[workers.indexOf(victim)]!.sessions, 0, 'the session left the stopped worker');
  });

  it('regression: a request sent to a stopped worker is replayed on another at the progress deadline', async (t) => {
    const workers = [await startWorker(t), await startWorker(t)];
    const balancer = await startBalancer(
      t,
      workers.map((w) => w.port),
      { 'progress-timeout-ms': '500' },
    );
    const stream = await open(t, balancer);
    const victim = await pinnedWorker(balancer, workers);
    victim.child.kill('SIGSTOP');
    const result = await stream.speak('replayed', SENTENCE);
    assertCompleted(result);
    assert.deepEqual(
      stream.frames.filter((f) => f.type === 'error'),
      [],
      'the client never sees the stall',
    );
    const s = await stats(balancer);
    assert.equal(s.totals.replayedRequests, 1);
    assert.equal(s.backends[workers.indexOf(victim)]!.failovers, 1);
    const metrics = (await httpRequest(`http://127.0.0.1:${balancer.port}/metrics`)).body.toString();
    assert.match(metrics, /^chatterbox_lb_replayed_requests_total 1$/m, '/metrics reads the same counts as /lb-stats');
    assert.match(metrics, /^chatterbox_lb_failovers_total 1$/m);
  });

  it('a client that stops reading is no stalled worker: its paused request outlives the progress deadline', async (t) => {
    const worker = await startWorker(t);
    const balancer = await startBalancer(t, [worker.port], { 'progress-timeout-ms': '300' });
    const stream = await open(t, balancer);
    const firstAudio = stream.waitFor((f) => f.type === 'audio' && f.id === 'slow');
    stream.send({ type: 'start', id: 'slow', text: longText(100), voice: 'kal16', params: { speed: 0.5 }, format: 'f32le' });
    await firstAudio;
    stream.ws.pause();
    // The relay has paused the worker link once the bytes relayed stop growing for a second (over three deadlines).
    let last = -1;
    let unchanged = 0;
    await pollUntil(
      'the relay to stall on the non-reading client',
      async () => {
        const relayed = (await stats(balancer)).totals.bytesRelayed;
        unchanged = relayed === last ? unchanged + 1 : 0;
        last = relayed;
        return unchanged >= 10;
      },
      { intervalMs: 100, timeoutMs: 20_000 },
    );
    stream.send({ type: 'cancel', id: 'slow' });
    stream.ws.resume();
    const result = await stream.result('slow');
    assert.equal(result.end.type, 'done', 'cancelled by the client, not failed by the balancer');
    const s = await stats(balancer);
    assert.equal(s.totals.failovers, 0);
    assert.deepEqual(s.backends[0]!.errorsByCode, {});
  });

  it('regression: an HTTP request sent to a stopped worker is answered by another at the progress deadline', async (t) => {
    const workers = [await startWorker(t), await startWorker(t)];
    const balancer = await startBalancer(
      t,
      workers.map((w) => w.port),
      { 'progress-timeout-ms': '500' },
    );
    // Idle workers tie, and ties go to the first.
    workers[0]!.child.kill('SIGSTOP');
    const answer = await postJson(`http://127.0.0.1:${balancer.port}/v1/tts`, { text: SENTENCE });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'audio/wav');
    const s = await stats(balancer);
    assert.deepEqual(
      s.backends.map((b) => b.requests),
      [0, 1],
      'served by the second worker',
    );
  });

  it('regression: a burst of sessions never passes --max-sessions-per-backend', async (t) => {
    const workers = [await startWorker(t), await startWorker(t)];
    const balancer = await startBalancer(
      t,
      workers.map((w) => w.port),
      { 'max-sessions-per-backend': '2' },
    );
    const streams = await Promise.all(Array.from({ length: 6 }, () => open(t, balancer)));
    const kinds = streams.map((s) => (s.first.type === 'ready' ? 'ready' : (s.first as ErrorMessage).code));
    assert.deepEqual(kinds.filter((k) => k === 'ready').length, 4, `what the six opens got: ${kinds.join(', ')}`);
    assert.deepEqual(
      kinds.filter((k) => k !== 'ready'),
      ['NO_BACKEND', 'NO_BACKEND'],
    );
    for (const worker of workers) assert.equal(await workerSessions(worker), 2);
  });

  it('regression: idle sessions hold no worker connection, so more sessions fit than a worker takes', async (t) => {
    const worker = await startWorker(t, ['--max-connections', '2']);
    const balancer = await startBalancer(t, [worker.port], { 'link-idle-ms': '50' });
    const streams: RawStream[] = [];
    for (let i = 0; i < 4; i++) {
      const stream = await open(t, balancer);
      assert.equal(stream.first.type, 'ready', `session ${i} opens`);
      streams.push(stream);
      await pollUntil('the idle link to be released', async () => (await workerSessions(worker)) === 0);
    }
    for (const [i, stream] of streams.entries()) {
      assertCompleted(await stream.speak(`s${i}`, SENTENCE));
      await pollUntil('the idle link to be released', async () => (await workerSessions(worker)) === 0);
    }
    assert.equal((await stats(balancer)).sessions, 4);
  });

  it("regression: a worker's BAD_FRAME for a client's frame is the client's error, not the worker's", async (t) => {
    const worker = await startWorker(t);
    const balancer = await startBalancer(t, [worker.port]);
    const stream = await open(t, balancer);
    stream.sendRaw(Uint8Array.of(0xc1, 0xc1));
    const error = await stream.waitFor((f): f is ErrorMessage => f.type === 'error');
    assert.equal(error.code, 'BAD_FRAME');
    const s = await stats(balancer);
    assert.deepEqual(s.backends[0]!.errorsByCode, {});
    assert.deepEqual(s.backends[0]!.clientErrorsByCode, { BAD_FRAME: 1 });
    assert.equal(s.totals.errors, 0);
    assert.equal(s.backends[0]!.state, 'up');
  });

  it('regression: a start frame repeating its type key is refused, not run behind the balancer’s back', async (t) => {
    const worker = await startWorker(t);
    const balancer = await startBalancer(t, [worker.port]);
    const stream = await open(t, balancer);
    stream.sendRaw(
      packEntries([
        ['type', 'nope'],
        ['id', 'dup'],
        ['text', SENTENCE],
        ['type', 'start'],
      ]),
    );
    const result = await stream.result('dup');
    assert.equal(result.end.type, 'error');
    assert.equal((result.end as ErrorMessage).code, 'BAD_FRAME');
    assert.equal((result.end as ErrorMessage).retryable, false);
    assert.deepEqual(result.audio, [], 'nothing was synthesized');
    assertCompleted(await stream.speak('fine', SENTENCE));
  });
});
