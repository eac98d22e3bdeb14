import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ProbeFailure, createProbeAgents, probeHealth } from '../../src/balancer/health-probe.js';

describe('probeHealth', () => {
  it('regression: a kept-alive connection that was cut is retried on a fresh one, not counted as a failed check', async (t) => {
    const served = new WeakMap<Socket, number>();
    let requests = 0;
    // Answers the first request on each connection; drops the connection at the second, as a cut link would.
    const server = createServer((req: IncomingMessage, res) => {
      requests += 1;
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      if (count > 1) req.socket.destroy();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const agents = createProbeAgents();
    t.after(() => {
      agents.destroy();
      server.closeAllConnections();
      server.close();
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    assert.deepEqual(await probeHealth(url, 2_000, agents), { status: 200, body: { status: 'ok' } });
    assert.deepEqual(await probeHealth(url, 2_000, agents), { status: 200, body: { status: 'ok' } }, 'answered on a fresh connection');
    assert.equal(requests, 3, 'one answered, one dropped on the kept-alive connection, one retried');
  });

  it('a refused connection and a silent server are failures that say so', async (t) => {
    const agents = createProbeAgents();
    t.after(() => agents.destroy());
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    t.after(() => {
      silent.closeAllConnections();
      silent.close();
    });
    const port = (silent.address() as AddressInfo).port;
    await assert.rejects(
      probeHealth(`http://127.0.0.1:${port}/health`, 100, agents),
      (err: unknown) => err instanceof ProbeFailure && /timed out after 100 ms/.test(err.message),
    );
    silent.closeAllConnections();
    silent.close();
    await once(silent, 'close');
    await assert.rejects(
      probeHealth(`http://127.0.0.1:${port}/health`, 1_000, agents),
      (err: unknown) => err instanceof ProbeFailure && /^\/health failed: .*ECONNREFUSED/.test(err.message),
    );
  });
});
