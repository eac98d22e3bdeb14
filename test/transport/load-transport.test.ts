import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTransport } from '../../src/transport/load-transport.js';
import { TRANSPORT_UNAVAILABLE_EXIT_CODE } from '../../src/transport/startup-error.js';
import { loadNativeUws } from '../../src/transport/uws/load-uws.js';
import { runChatterboxCli } from '../helpers/cli.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { spawnWorkerProcess } from '../helpers/worker.js';

const uwsLoads = loadNativeUws().ok;

describe('choosing the transport', () => {
  it('auto takes uws exactly where its native binary loads, node elsewhere; node is always node', async () => {
    assert.equal((await loadTransport('auto')).transport.name, uwsLoads ? 'uws' : 'node');
    assert.equal((await loadTransport('node')).transport.name, 'node');
  });

  it('regression: a worker on auto prints no µWS compatibility warning, logs its adapter once, and shows it in /health', async (t) => {
    const worker = await spawnWorkerProcess(['--transport', 'auto']);
    t.after(() => worker.child.kill('SIGKILL'));
    const health = jsonOf<{ transport: string }>(await httpRequest(`http://127.0.0.1:${worker.port}/health`));
    assert.equal(health.transport, uwsLoads ? 'uws' : 'node');
    // The log reaches the pipe on its own time, after the IPC message that the worker listens: the transport line
    // comes before the worker's 'worker listening' line, so once that is in, so is every transport line there is.
    await pollUntil('the worker listening line in its log', () => worker.output().includes('"msg":"worker listening"'), { describe: worker.output });
    assert.doesNotMatch(worker.output(), /µWS|not compatible|Falling back/);
    const lines = worker
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"transport: '));
    assert.equal(lines.length, 1, worker.output());
    assert.match(lines[0]!, new RegExp(`"transport":"${health.transport}"`));
  });

  it('--transport uws where the binary does not load fails with the reason, not a fallback', { skip: uwsLoads && 'uWS loads on this Node' }, async () => {
    await assert.rejects(loadTransport('uws'), /--transport uws: uWebSockets\.js .*; use --transport node or auto/);
    for (const command of ['serve', 'balance']) {
      const run = await runChatterboxCli([command, '--port', '0', '--transport', 'uws']);
      assert.equal(run.code, TRANSPORT_UNAVAILABLE_EXIT_CODE, run.stderr);
      assert.match(run.stderr, /^error TRANSPORT_UNAVAILABLE: --transport uws: uWebSockets\.js .*; use --transport node or auto\n$/);
    }
  });
});
