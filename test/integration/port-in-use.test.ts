import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PORT_IN_USE_EXIT_CODE } from '../../src/transport/listen-retry.js';
import { runChatterboxCli } from '../helpers/cli.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { availableTransports } from '../helpers/transport.js';
import { spawnWorkerProcess } from '../helpers/worker.js';

const HEALTH_KEY = 'port-test-key-0123456789';

for (const transport of availableTransports()) {
  describe(`a taken port on ${transport}`, () => {
    it('regression: a second `chatterbox serve` on a worker’s port exits with PORT_IN_USE and the first keeps the port alone', async (t) => {
      // With a key, /health shows the pid that tells which process answers.
      const first = await spawnWorkerProcess(['--transport', transport, '--log-level', 'warn', '--auth', 'api-key'], { CHATTERBOX_API_KEYS: HEALTH_KEY });
      t.after(() => first.child.kill('SIGKILL'));
      const second = await runChatterboxCli(['serve', '--host', '127.0.0.1', '--port', String(first.port), '--transport', transport, '--log-level', 'warn']);
      assert.equal(second.code, PORT_IN_USE_EXIT_CODE, second.stderr);
      assert.match(second.stderr, new RegExp(`error PORT_IN_USE: port ${first.port} on 127\\.0\\.0\\.1 is in use by another process`));
      const health = jsonOf<{ pid: number; transport: string }>(
        await httpRequest(`http://127.0.0.1:${first.port}/health`, { headers: { authorization: `Bearer ${HEALTH_KEY}` } }),
      );
      assert.equal(health.pid, first.child.pid, 'the first worker answers');
      assert.equal(health.transport, transport);
    });

    it('regression: `chatterbox balance` on a worker’s port exits with PORT_IN_USE', async (t) => {
      const worker = await spawnWorkerProcess(['--transport', transport, '--log-level', 'warn']);
      t.after(() => worker.child.kill('SIGKILL'));
      const url = `ws://127.0.0.1:${worker.port}`;
      const balancer = await runChatterboxCli([
        'balance',
        '--host',
        '127.0.0.1',
        '--port',
        String(worker.port),
        '--backend',
        url,
        '--transport',
        transport,
        '--log-level',
        'warn',
      ]);
      assert.equal(balancer.code, PORT_IN_USE_EXIT_CODE, balancer.stderr);
      assert.match(balancer.stderr, /error PORT_IN_USE: /);
    });
  });
}
