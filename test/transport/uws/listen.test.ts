import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import uWS from 'uWebSockets.js';
import { createLogger } from '../../../src/logging/logger.js';
import { listen } from '../../../src/transport/uws/listen.js';
import { withTimeout } from '../../helpers/raw-stream.js';

/** A logger whose lines the test can read, with a callback on each. */
function capturingLogger(onLine: (line: { msg: string; level: string }) => void = () => undefined) {
  const lines: Array<{ msg: string; level: string }> = [];
  const logger = createLogger({
    level: 'info',
    destination: {
      write(text: string) {
        const line = JSON.parse(text) as { msg: string; level: string };
        lines.push(line);
        onLine(line);
      },
    },
  });
  return { logger, lines };
}

/** Holds a loopback port with a plain Node server until `release()`. */
async function holdPort(t: TestContext): Promise<{ port: number; release: () => void }> {
  const holder = createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  t.after(() => holder.close());
  return { port: (holder.address() as AddressInfo).port, release: () => holder.close() };
}

function closeOnExit(t: TestContext, socket: uWS.us_listen_socket): void {
  t.after(() => uWS.us_listen_socket_close(socket));
}

describe('listen', () => {
  it('a free port is taken at once', async (t) => {
    const { logger, lines } = capturingLogger();
    const listening = await listen(uWS.App(), '127.0.0.1', 0, logger);
    closeOnExit(t, listening.socket);
    assert.ok(listening.port > 0);
    assert.deepEqual(lines, []);
  });

  it('regression: a port in use is retried until it frees, as after a restart with connections in TIME_WAIT', async (t) => {
    const held = await holdPort(t);
    // The port is released only once the server has said it is waiting: proof that it retried.
    const { logger, lines } = capturingLogger((line) => {
      if (line.level === 'warn') held.release();
    });
    const listening = await withTimeout(listen(uWS.App(), '127.0.0.1', held.port, logger, { retryForMs: 10_000, retryEveryMs: 20 }), 10_000, 'listen');
    closeOnExit(t, listening.socket);
    assert.equal(listening.port, held.port);
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [
        ['warn', 'port in use (perhaps by connections of a previous run); retrying'],
        ['info', 'port free again; listening'],
      ],
    );
  });

  it('gives up with a clear error once the retry time is over', async (t) => {
    const held = await holdPort(t);
    const { logger } = capturingLogger();
    const t0 = performance.now();
    await assert.rejects(listen(uWS.App(), '127.0.0.1', held.port, logger, { retryForMs: 200, retryEveryMs: 20 }), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${held.port}`));
    assert.ok(performance.now() - t0 >= 150, 'it did retry for about the time given');
  });

  it('does not retry port 0: an address that cannot be bound fails at once', async () => {
    const { logger, lines } = capturingLogger();
    await assert.rejects(listen(uWS.App(), '192.0.2.1', 0, logger, { retryForMs: 60_000, retryEveryMs: 20 }), /cannot listen on 192\.0\.2\.1:0/);
    assert.deepEqual(lines, []);
  });
});
