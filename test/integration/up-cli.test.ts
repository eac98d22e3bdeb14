import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, it } from 'node:test';
import type { WorkerHealth } from '../../src/server/health.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { RawStream, assertCompleted, withTimeout } from '../helpers/raw-stream.js';

async function listenOn(port: number): Promise<Server | undefined> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  const [result] = await Promise.race([once(server, 'listening').then(() => ['ok']), once(server, 'error').then(() => ['busy'])]);
  return result === 'ok' ? server : undefined;
}

/** A free port P with P+1 free too (for `--worker-port`, two workers), and another free port for the balancer. */
async function freePorts(): Promise<{ workerPort: number; port: number }> {
  for (;;) {
    const first = (await listenOn(0))!;
    const workerPort = (first.address() as AddressInfo).port;
    const second = workerPort < 65535 ? await listenOn(workerPort + 1) : undefined;
    const third = (await listenOn(0))!;
    const port = (third.address() as AddressInfo).port;
    for (const server of [first, second, third]) server?.close();
    if (second && port !== workerPort + 1) return { workerPort, port };
  }
}

/** Live processes whose parent is `pid` (from /proc), with their state letter. */
function childrenOf(pid: number): Map<number, string> {
  const children = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid) children.set(Number(entry), state!);
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** Whether `pid` still runs: gone and zombie (exited, not yet reaped) both count as not running. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('chatterbox up (npm start)', () => {
  it('runs two workers and the balancer, speaks through it, and stops every process on SIGINT', async (t) => {
    const { workerPort, port } = await freePorts();
    // node, not auto: where uws loads, that proves --transport reaches every process.
    const up = spawn(process.execPath, ['bin/chatterbox.js', 'up', '--worker-port', String(workerPort), '--port', String(port), '--transport', 'node'], {
      env: { ...process.env, CHATTERBOX_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    up.stdout.on('data', (d: Buffer) => (output += d.toString()));
    up.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = once(up, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    t.after(() => {
      if (up.exitCode === null && up.signalCode === null) up.kill('SIGKILL');
      for (const pid of childrenOf(up.pid!).keys()) process.kill(pid, 'SIGKILL');
    });

    const health = await pollUntil(
      'the balancer to report both workers healthy',
      async () => {
        if (up.exitCode !== null) throw new Error(`chatterbox up exited with ${up.exitCode}:\n${output}`);
        const answer = await httpRequest(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        const body = answer?.status === 200 ? jsonOf<{ healthyBackends: number; totalBackends: number; transport: string }>(answer) : undefined;
        return body?.healthyBackends === 2 && body.totalBackends === 2 ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    assert.equal(health.totalBackends, 2);
    assert.equal(health.transport, 'node', 'the balancer got --transport');

    const stream = await RawStream.open(`ws://127.0.0.1:${port}/v1/stream`);
    const result = await stream.speak('up', 'Hello from the whole backend.');
    await stream.close();
    const { samples } = assertCompleted(result);
    assert.ok(samples > 8000, `${samples} samples`);

    const workerHealths = await Promise.all(
      [workerPort, workerPort + 1].map(async (p) => jsonOf<WorkerHealth>(await httpRequest(`http://127.0.0.1:${p}/health`))),
    );
    assert.deepEqual(
      workerHealths.map((h) => h.transport),
      ['node', 'node'],
      'each worker got --transport',
    );
    const children = childrenOf(up.pid!);
    assert.equal(children.size, 3, `two workers and the balancer: ${[...children.keys()].join(', ')}`);
    // /health shows no pid to anonymous callers, so the workers are found by their command line.
    const workerChildren = [...children.keys()].filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('serve'));
    assert.equal(workerChildren.length, 2, 'both workers are children of chatterbox up');

    up.kill('SIGINT');
    const [code, signal] = await withTimeout(exited, 20_000, 'chatterbox up to exit after SIGINT');
    assert.equal(signal, null);
    assert.equal(code, 0, output);
    for (const pid of children.keys()) assert.equal(isRunning(pid), false, `child ${pid} outlived chatterbox up`);
    for (const p of [workerPort, workerPort + 1, port]) {
      await assert.rejects(httpRequest(`http://127.0.0.1:${p}/health`), /ECONNREFUSED/, `port ${p} is closed`);
    }
  });
});
