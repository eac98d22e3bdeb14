import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { sendJson } from '../../src/transport/http-exchange.js';
import { PortInUseError, isPortListened, listenWithRetry } from '../../src/transport/listen-retry.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { withTimeout } from '../helpers/raw-stream.js';
import { availableTransports, serveHttpWith } from '../helpers/transport.js';

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: Array<{ msg: string; level: string }> = [];
  const logger = createLogger({
    level: 'info',
    destination: {
      write(text: string) {
        lines.push(JSON.parse(text) as { msg: string; level: string });
      },
    },
  });
  return { logger, lines };
}

/** Holds a loopback port with a plain Node server for the rest of the test. */
async function holdPort(t: TestContext): Promise<number> {
  const holder = createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  t.after(() => holder.close());
  return (holder.address() as AddressInfo).port;
}

/**
 * Leaves a loopback port with no listener but a connection in TIME_WAIT, as a restarted worker finds its port:
 * the server side closes first, so the TIME_WAIT socket keeps the server's port.
 */
async function portInTimeWait(): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const client: Socket = connect(port, '127.0.0.1');
  client.on('error', () => undefined);
  await once(client, 'close');
  server.close();
  await once(server, 'close');
  return port;
}

/** A port no one listens on now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  probe.close();
  await once(probe, 'close');
  return port;
}

describe('isPortListened', () => {
  it('tells a listener from a free port', async (t) => {
    const port = await holdPort(t);
    assert.equal(await isPortListened('127.0.0.1', port), true);
    assert.equal(await isPortListened('127.0.0.1', await portInTimeWait()), false);
  });
});

describe('listenWithRetry', () => {
  // A listener without SO_REUSEADDR (some uWS builds) fails while a previous run's connections are in TIME_WAIT
  // though no process listens: the listen below fails that way twice, on a port no one listens on.
  it('regression: a port that fails with no listener on it is retried until it can be taken, as after a restart', async () => {
    const port = await freePort();
    const { logger, lines } = capturingLogger();
    let tries = 0;
    const got = await listenWithRetry(async () => (++tries < 3 ? undefined : 'listening'), { host: '127.0.0.1', port }, logger, {
      retryForMs: 10_000,
      retryEveryMs: 10,
    });
    assert.equal(got, 'listening');
    assert.equal(tries, 3);
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [
        ['warn', 'port in use (perhaps by connections of a previous run); retrying'],
        ['info', 'port free again; listening'],
      ],
    );
  });

  it('gives up with a clear error once the retry time is over', async () => {
    const port = await freePort();
    const { logger } = capturingLogger();
    let tries = 0;
    await assert.rejects(
      listenWithRetry(async () => void ++tries, { host: '127.0.0.1', port }, logger, { retryForMs: 100, retryEveryMs: 10 }),
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`),
    );
    assert.ok(tries > 1, 'it did retry');
  });
});

for (const name of availableTransports()) {
  describe(`listen on ${name}`, () => {
    const hello = (http: Parameters<typeof sendJson>[0]) => sendJson(http, 200, { name });

    it('a free port is taken at once and answers', async (t) => {
      const { logger, lines } = capturingLogger();
      const server = await serveHttpWith(name, hello, { logger });
      t.after(() => server.stopListening());
      assert.ok(server.port > 0);
      assert.deepEqual(jsonOf(await httpRequest(`http://127.0.0.1:${server.port}/`)), { name });
      assert.deepEqual(lines, []);
    });

    it('regression: a port another server listens on is never shared; PortInUseError at once, no retry', async (t) => {
      const port = await holdPort(t);
      const { logger, lines } = capturingLogger();
      const error = await withTimeout(
        serveHttpWith(name, hello, { port, logger, retry: { retryForMs: 60_000, retryEveryMs: 20 } }).then(
          (server) => {
            server.stopListening();
            return undefined;
          },
          (err: unknown) => err,
        ),
        10_000,
        'listen',
      );
      assert.ok(error instanceof PortInUseError, `expected PortInUseError, got ${String(error)}`);
      assert.match(error.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use by another process`));
      assert.deepEqual(lines, [], 'no retry warning: a live listener does not go away by waiting');
    });

    it('regression: a second server of the same adapter on a taken port fails rather than sharing it', async (t) => {
      // A fixed port: uSockets sets SO_REUSEPORT only on those (never on port 0), which let two workers share one.
      const first = await serveHttpWith(name, hello, { port: await freePort() });
      t.after(() => first.stopListening());
      await assert.rejects(serveHttpWith(name, hello, { port: first.port }), PortInUseError);
    });

    it('a port blocked only by connections in TIME_WAIT is taken (node) or retried until the time is up (uws)', async (t) => {
      const port = await portInTimeWait();
      const { logger, lines } = capturingLogger();
      const outcome = await serveHttpWith(name, hello, { port, logger, retry: { retryForMs: 200, retryEveryMs: 20 } }).then(
        (server) => {
          t.after(() => server.stopListening());
          return 'listening';
        },
        (err: unknown) => err as Error,
      );
      if (typeof outcome === 'string') {
        assert.deepEqual(lines, []);
        return;
      }
      assert.ok(!(outcome instanceof PortInUseError), 'TIME_WAIT is no other process');
      assert.match(outcome.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
      assert.deepEqual(
        lines.map((l) => [l.level, l.msg]),
        [['warn', 'port in use (perhaps by connections of a previous run); retrying']],
      );
    });

    it('does not retry port 0: an address that cannot be bound fails at once', async () => {
      const { logger, lines } = capturingLogger();
      await assert.rejects(
        serveHttpWith(name, hello, { host: '192.0.2.1', logger, retry: { retryForMs: 60_000, retryEveryMs: 20 } }),
        /cannot listen on 192\.0\.2\.1:0/,
      );
      assert.deepEqual(lines, []);
    });
  });
}
