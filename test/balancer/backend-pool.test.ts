import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { createBackendPool, type BackendPool, type BackendPoolOptions } from '../../src/balancer/backend-pool.js';
import { createLogger } from '../../src/logging/logger.js';
import { pollUntil } from '../helpers/poll.js';
import { withTimeout } from '../helpers/raw-stream.js';

/** What a fake worker answers on /health: a status code, a body (JSON unless a string) and a delay. */
interface HealthReply {
  status: number;
  body: unknown;
  delayMs?: number;
}

const OK: HealthReply = { status: 200, body: { status: 'ok', activeRequests: 0, queuedRequests: 0, capacity: 8, sessions: 0 } };
const FAIL: HealthReply = { status: 500, body: 'internal error' };

/** A real HTTP server on a free port that answers /health with whatever `reply` says at the moment. */
interface FakeWorker {
  url: string;
  reply: HealthReply;
  hits: number;
  /** Most /health requests it had open at once. */
  maxConcurrent: number;
  server: Server;
  /** Resolves once the worker has answered `n` health checks in all. */
  checked(n: number): Promise<void>;
}

async function fakeWorker(t: TestContext, reply: HealthReply = OK): Promise<FakeWorker> {
  const waiters: Array<() => void> = [];
  let open = 0;
  const fake: FakeWorker = {
    url: '',
    reply,
    hits: 0,
    maxConcurrent: 0,
    server: createServer((req, res) => {
      const { status, body, delayMs } = fake.reply;
      open += 1;
      fake.maxConcurrent = Math.max(fake.maxConcurrent, open);
      res.on('close', () => (open -= 1));
      const answer = () => {
        res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
        fake.hits += 1;
        for (const wake of waiters.splice(0)) wake();
      };
      if (req.url !== '/health') {
        res.writeHead(404).end();
        return;
      }
      if (delayMs) setTimeout(answer, delayMs).unref();
      else answer();
    }),
    async checked(n) {
      while (fake.hits < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
  fake.server.listen(0, '127.0.0.1');
  await once(fake.server, 'listening');
  fake.url = `ws://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  t.after(() => {
    fake.server.closeAllConnections();
    fake.server.close();
  });
  return fake;
}

const quiet = createLogger({ level: 'silent' });

/** A pool that polls only when the test calls checkAll(), unless `healthIntervalMs` says otherwise. */
function pool(t: TestContext, urls: string[], options: Partial<BackendPoolOptions> = {}): BackendPool {
  const created = createBackendPool(
    { urls, healthIntervalMs: 3_600_000, healthTimeoutMs: 500, rise: 2, fall: 3, maxSessionsPerBackend: 100, ...options },
    quiet,
  );
  t.after(() => created.stop());
  return created;
}

/** Runs one round of checks and returns the first backend's state. */
async function check(p: BackendPool): Promise<string> {
  await p.checkAll();
  return p.backends[0]!.state;
}

describe('backend pool: active checks', () => {
  it('the first check applies at once: up when ok, down when it fails', async (t) => {
    const good = await fakeWorker(t);
    const bad = await fakeWorker(t, FAIL);
    const p = pool(t, [good.url, bad.url]);
    assert.deepEqual(
      p.backends.map((b) => b.state),
      ['down', 'down'],
      'nothing is trusted before the first check',
    );
    await p.checkAll();
    assert.deepEqual(
      p.backends.map((b) => b.state),
      ['up', 'down'],
    );
    assert.equal(p.healthy, 1);
  });

  it('an up backend goes down only after `fall` failed checks in a row', async (t) => {
    const fake = await fakeWorker(t);
    const p = pool(t, [fake.url], { fall: 3 });
    assert.equal(await check(p), 'up');
    fake.reply = FAIL;
    assert.equal(await check(p), 'up', '1 failure');
    assert.equal(await check(p), 'up', '2 failures');
    fake.reply = OK;
    assert.equal(await check(p), 'up', 'a good check resets the count');
    fake.reply = FAIL;
    assert.equal(await check(p), 'up', '1 failure');
    assert.equal(await check(p), 'up', '2 failures');
    assert.equal(await check(p), 'down', '3 failures in a row');
    assert.equal(p.healthy, 0);
    assert.match(p.backends[0]!.lastError!.message, /^unreadable \/health \(HTTP 500\)/);
  });

  it('a down backend comes back only after `rise` good checks in a row', async (t) => {
    const fake = await fakeWorker(t, FAIL);
    const p = pool(t, [fake.url], { rise: 3 });
    assert.equal(await check(p), 'down');
    fake.reply = OK;
    assert.equal(await check(p), 'down', '1 good');
    assert.equal(await check(p), 'down', '2 good');
    fake.reply = FAIL;
    assert.equal(await check(p), 'down', 'a failure resets the count');
    fake.reply = OK;
    assert.equal(await check(p), 'down', '1 good');
    assert.equal(await check(p), 'down', '2 good');
    assert.equal(await check(p), 'up', '3 good in a row');
  });

  it('an answer slower than the health timeout counts as a failure', async (t) => {
    const fake = await fakeWorker(t);
    const p = pool(t, [fake.url], { fall: 1, healthTimeoutMs: 100 });
    assert.equal(await check(p), 'up');
    fake.reply = { ...OK, delayMs: 2_000 };
    const t0 = performance.now();
    assert.equal(await check(p), 'down');
    assert.ok(performance.now() - t0 < 1_500, 'the check gave up at its timeout, not when the answer came');
    assert.match(p.backends[0]!.lastError!.message, /timed out after 100 ms/);
  });

  it('unreachable and unreadable answers are failures', async (t) => {
    const closed = await fakeWorker(t);
    closed.server.close();
    await once(closed.server, 'close');
    const html = await fakeWorker(t, { status: 200, body: '<html>not json</html>' });
    const noStatus = await fakeWorker(t, { status: 200, body: { activeRequests: 0 } });
    const p = pool(t, [closed.url, html.url, noStatus.url], { fall: 1 });
    await p.checkAll();
    assert.deepEqual(
      p.backends.map((b) => b.state),
      ['down', 'down', 'down'],
    );
    assert.match(p.backends[0]!.lastError!.message, /\/health failed/);
    assert.match(p.backends[2]!.lastError!.message, /unreadable \/health \(HTTP 200\)/);
  });

  it("'loading' and 'draining' reports take no sessions and apply at once, even with a 503", async (t) => {
    const fake = await fakeWorker(t);
    const p = pool(t, [fake.url], { rise: 5, fall: 5 });
    assert.equal(await check(p), 'up');
    fake.reply = { status: 503, body: { ...(OK.body as object), status: 'loading' } };
    assert.equal(await check(p), 'loading');
    assert.equal(p.pick(), undefined);
    fake.reply = { status: 503, body: { ...(OK.body as object), status: 'draining' } };
    assert.equal(await check(p), 'draining');
    assert.equal(p.pick(), undefined);
    assert.equal(p.healthy, 0);
    fake.reply = OK;
    assert.equal(await check(p), 'up', 'a backend that answered all along is not down: no rise needed');
    assert.equal(p.pick(), p.backends[0]);
  });

  it('copies the reported load and uses it to pick', async (t) => {
    const busy = await fakeWorker(t, { status: 200, body: { status: 'ok', activeRequests: 3, queuedRequests: 1, capacity: 4, sessions: 7, engine: 'flite' } });
    const idle = await fakeWorker(t, { status: 200, body: { status: 'ok', activeRequests: 1, queuedRequests: 0, capacity: 4, sessions: 1 } });
    const p = pool(t, [busy.url, idle.url]);
    await p.checkAll();
    const [b0, b1] = p.backends;
    assert.equal(b0!.loadScore, 1);
    assert.equal(b1!.loadScore, 0.25);
    assert.deepEqual(b0!.report, { status: 'ok', activeRequests: 3, queuedRequests: 1, capacity: 4, remainingCapacity: null, sessions: 7, engine: 'flite' });
    assert.ok(b0!.healthLatencyMs !== undefined && b0!.healthLatencyMs >= 0);
    assert.equal(p.pick(), b1);
  });

  it('copies the reported remaining real-time capacity and prefers the backend with room over a less loaded one', async (t) => {
    const full = await fakeWorker(t, {
      status: 200,
      body: { status: 'ok', activeRequests: 1, queuedRequests: 0, capacity: 8, remainingCapacity: 0, sessions: 1 },
    });
    const room = await fakeWorker(t, {
      status: 200,
      body: { status: 'ok', activeRequests: 3, queuedRequests: 0, capacity: 8, remainingCapacity: 2, sessions: 3 },
    });
    const p = pool(t, [full.url, room.url]);
    await p.checkAll();
    assert.deepEqual(
      p.backends.map((b) => b.remainingCapacity),
      [0, 2],
    );
    assert.equal(p.pick(), p.backends[1]);
    assert.equal(p.pick(), p.backends[1], 'one pinned session leaves room for one more');
    assert.equal(p.pick(), p.backends[0], 'two pinned use the room up: least loaded again');
  });

  it('regression: a slow worker is never checked twice at once, even when the timeout outlasts the interval', async (t) => {
    const fake = await fakeWorker(t, { ...OK, delayMs: 200 });
    const p = pool(t, [fake.url], { healthIntervalMs: 50, healthTimeoutMs: 2_000 });
    await withTimeout(fake.checked(3), 5_000, 'three slow checks');
    assert.equal(fake.maxConcurrent, 1);
    const [a, b] = [p.checkAll(), p.checkAll()];
    await Promise.all([a, b]);
    assert.equal(fake.maxConcurrent, 1, 'checkAll joins the check in flight');
    assert.equal(p.backends[0]!.state, 'up');
  });

  it('polls on its own every healthIntervalMs', async (t) => {
    const fake = await fakeWorker(t);
    const p = pool(t, [fake.url], { healthIntervalMs: 50, fall: 1 });
    await withTimeout(fake.checked(3), 5_000, 'three polls');
    assert.equal(p.backends[0]!.state, 'up');
    fake.reply = FAIL;
    await pollUntil('polling alone to take the backend out', () => p.backends[0]!.state === 'down', { timeoutMs: 5_000 });
    fake.reply = OK;
    await pollUntil('polling alone to bring it back', () => p.backends[0]!.state === 'up', { timeoutMs: 5_000 });
  });
});

describe('backend pool: passive reports and pinning', () => {
  it('reportFailure takes a backend out at once, until `rise` good checks', async (t) => {
    const fake = await fakeWorker(t);
    const p = pool(t, [fake.url], { rise: 2, fall: 3 });
    assert.equal(await check(p), 'up');
    const backend = p.backends[0]!;
    p.reportFailure(backend, 'connection dropped (1006)');
    assert.equal(backend.state, 'down', 'no need to wait for `fall` checks');
    assert.equal(backend.lastError?.message, 'connection dropped (1006)');
    assert.equal(p.pick(), undefined);
    assert.equal(await check(p), 'down', '1 good check');
    assert.equal(await check(p), 'up', '2 good checks');
    assert.equal(p.pick(), backend);
  });

  it('pick counts the session as pinned; the next report resets it', async (t) => {
    const a = await fakeWorker(t);
    const b = await fakeWorker(t);
    const p = pool(t, [a.url, b.url]);
    await p.checkAll();
    const picks = [p.pick(), p.pick(), p.pick(), p.pick()].map((x) => x?.index);
    assert.deepEqual(picks, [0, 1, 0, 1], 'a burst spreads while no report has counted it');
    assert.deepEqual(
      p.backends.map((x) => x.pinnedSinceReport),
      [2, 2],
    );
    a.reply = FAIL;
    await p.checkAll();
    assert.deepEqual(
      p.backends.map((x) => x.pinnedSinceReport),
      [2, 0],
      'a good report resets it; a failed check does not',
    );
  });

  it('pick skips excluded backends and those at their session cap', async (t) => {
    const a = await fakeWorker(t);
    const b = await fakeWorker(t);
    const p = pool(t, [a.url, b.url], { maxSessionsPerBackend: 1 });
    await p.checkAll();
    assert.equal(p.pick(new Set([0]))?.index, 1);
    p.opened(p.reserveSession(new Set([0]))!);
    assert.equal(p.pick(new Set([0])), undefined);
    p.opened(p.reserveSession()!);
    assert.equal(p.pick(), undefined);
    p.linkClosed(p.backends[0]!);
    assert.equal(p.pick()?.index, 0);
  });

  it('regression: sessions still opening count against the cap, so a burst cannot pass it', async (t) => {
    const a = await fakeWorker(t);
    const p = pool(t, [a.url], { maxSessionsPerBackend: 2 });
    await p.checkAll();
    const first = p.reserveSession();
    assert.ok(p.reserveSession());
    assert.equal(p.reserveSession(), undefined, 'two opens in flight fill a cap of 2');
    p.openAbandoned(first!);
    assert.ok(p.reserveSession(), 'an abandoned open frees its place');
  });

  it('suspect keeps a backend whose health check passes, and takes out one whose check fails at once', async (t) => {
    const a = await fakeWorker(t);
    const p = pool(t, [a.url], { fall: 3 });
    await p.checkAll();
    p.suspect(p.backends[0]!, 'connection dropped (1006)');
    await a.checked(2);
    await p.checkAll();
    assert.equal(p.backends[0]!.state, 'up', 'a healthy worker stays in rotation');
    a.reply = FAIL;
    p.suspect(p.backends[0]!, 'connection dropped (1006)');
    await pollUntil('the failed check to take it out', () => p.backends[0]!.state === 'down');
    assert.match(p.backends[0]!.lastError!.message, /^unreadable \/health \(HTTP 500\)/, 'the failed check is the last error');
  });

  it('derives the HTTP URL from the ws/wss URL', (t) => {
    const p = pool(t, ['ws://10.0.0.5:6093', 'wss://gpu.example:443/some/path']);
    assert.deepEqual(
      p.backends.map((b) => b.httpUrl),
      ['http://10.0.0.5:6093', 'https://gpu.example'],
    );
  });
});

describe('backend pool: the one owner of backend state', () => {
  it('regression: every change goes through a pool method and is logged, a draining transition included', async (t) => {
    const a = await fakeWorker(t);
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const p = createBackendPool({ urls: [a.url], healthIntervalMs: 3_600_000, healthTimeoutMs: 500, rise: 1, fall: 3, maxSessionsPerBackend: 10 }, logger);
    t.after(() => p.stop());
    await p.checkAll();
    const backend = p.backends[0]!;
    p.opened(p.reserveSession()!);
    p.requestStarted(backend);
    p.countError(backend, 'UNKNOWN_VOICE');
    p.countError(backend, 'ENGINE_FAILED');
    p.failover(backend, 1);
    p.linkClosed(backend);
    p.noBackend();
    p.markDraining(backend, 'worker refused a session: draining');
    p.reportFailure(backend, 'connect ECONNREFUSED');
    const messages = lines.map((l) => l.msg);
    assert.deepEqual(messages, [
      'backend state changed',
      'session link opened',
      'request sent',
      'request error counted',
      'request error counted',
      'failover counted',
      'session link closed',
      'no backend could take it',
      'backend state changed',
      'backend state changed',
    ]);
    assert.deepEqual(
      lines.filter((l) => l.msg === 'backend state changed').map((l) => l.to),
      ['up', 'draining', 'down'],
    );
    assert.deepEqual({ ...backend.errorsByCode }, { ENGINE_FAILED: 1 });
    assert.deepEqual({ ...backend.clientErrorsByCode }, { UNKNOWN_VOICE: 1 }, "a client's bad request is no error of the worker's");
    assert.deepEqual({ sessions: backend.sessions, requests: backend.requests, failovers: backend.failovers }, { sessions: 0, requests: 1, failovers: 1 });
    assert.deepEqual({ ...p.totals }, { noBackend: 1, replayedRequests: 1 });
  });
});
