import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { httpRequest, postJson } from '../helpers/http.js';
import { pollUntil } from '../helpers/poll.js';
import { RawStream } from '../helpers/raw-stream.js';
import { REPO, freePort, hasCommand, readUnit } from '../helpers/systemd.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';

// The units' SystemCallFilter= is checked against what the processes really call: the worker running the Chatterbox
// model on onnxruntime and the balancer in front of it, both traced with strace -f through HTTP and WebSocket requests.
// A syscall outside the filter would fail with EPERM under systemd, which no test here could see otherwise.

const needsTools = hasCommand('strace') && hasCommand('systemd-analyze') ? {} : { skip: 'strace or systemd-analyze is not installed' };

const dir = mkdtempSync(join(tmpdir(), 'syscalls-'));
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The syscalls in a `systemd-analyze syscall-filter` set, nested sets expanded. */
function syscallSet(name: string, seen = new Set<string>()): Set<string> {
  const out = spawnSync('systemd-analyze', ['syscall-filter', name], { encoding: 'utf8' }).stdout;
  const calls = new Set<string>();
  for (const line of out.split('\n').slice(1)) {
    const entry = line.trim();
    if (entry === '' || entry.startsWith('#')) continue;
    if (entry.startsWith('@')) {
      if (!seen.has(entry)) for (const call of syscallSet(entry, seen.add(entry))) calls.add(call);
    } else calls.add(entry);
  }
  return calls;
}

/** What a unit's SystemCallFilter= lines allow: the union of the allow-lists minus every ~deny-list. */
function allowedBy(unitName: string): Set<string> {
  const allowed = new Set<string>();
  const denied = new Set<string>();
  for (const value of readUnit(join(REPO, 'systemd', unitName)).all('Service', 'SystemCallFilter')) {
    const deny = value.startsWith('~');
    for (const entry of value.replace(/^~/, '').split(/\s+/)) {
      const calls = entry.startsWith('@') ? syscallSet(entry) : new Set([entry]);
      for (const call of calls) (deny ? denied : allowed).add(call);
    }
  }
  return new Set([...allowed].filter((call) => !denied.has(call)));
}

/** Starts `chatterbox <args>` under strace, one trace file per thread in dir/name. */
function traced(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn('strace', ['-f', '-qq', '-ff', '-o', join(dir, name, 'trace'), '--', process.execPath, 'bin/chatterbox.js', ...args], {
    cwd: REPO,
    // XDG_CACHE_HOME as the units set it: onnxruntime keeps a usage database (SQLite) under it.
    env: { ...process.env, CHATTERBOX_LOG_LEVEL: 'warn', XDG_CACHE_HOME: join(dir, 'cache'), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

/** The syscall names in every trace file of `name`. */
function syscallsCalled(name: string): Set<string> {
  const calls = new Set<string>();
  for (const file of readdirSync(join(dir, name))) {
    for (const match of readFileSync(join(dir, name, file), 'utf8').matchAll(/^(?:\[pid\s+\d+\] )?([a-z0-9_]+)\(/gm)) calls.add(match[1]!);
  }
  return calls;
}

describe('SystemCallFilter= of the units', () => {
  it('allows every syscall the worker (onnxruntime) and the balancer make while serving', needsTools, async () => {
    const model = await ensureTinyModel();
    const [workerPort, lbPort] = [await freePort(), await freePort()];
    for (const name of ['worker', 'balancer']) mkdirSync(join(dir, name));
    const worker = traced('worker', ['serve', '--host', '127.0.0.1', '--port', String(workerPort)], { CHATTERBOX_MODEL_DIR: model });
    const balancer = traced('balancer', ['balance', '--host', '127.0.0.1', '--port', String(lbPort), '--backend', `ws://127.0.0.1:${workerPort}`], {});
    const healthy = async () => (await httpRequest(`http://127.0.0.1:${lbPort}/health`).catch(() => undefined))?.status === 200;
    await pollUntil('the balancer to report a healthy worker', healthy, { timeoutMs: 60_000, intervalMs: 200 });

    const http = await postJson(`http://127.0.0.1:${lbPort}/v1/tts`, { text: 'Hello there.' });
    assert.equal(http.status, 200);
    const stream = await RawStream.open(`ws://127.0.0.1:${lbPort}/v1/stream`);
    const result = await stream.speak('a', 'Streaming through the balancer.');
    assert.equal(result.end.type, 'done');
    await stream.close();

    for (const child of [balancer, worker]) {
      // SIGTERM to the traced node process, not to strace, which may outlive a tracee it was told to stop.
      const tracee = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
      const exited = once(child, 'exit');
      process.kill(tracee, 'SIGTERM');
      await exited;
    }
    for (const [name, unit] of [
      ['worker', 'chatterbox-gpu0.service'],
      ['balancer', 'chatterbox-loadbalancer.service'],
    ] as const) {
      const called = syscallsCalled(name);
      assert.ok(called.has('epoll_wait') || called.has('epoll_pwait'), `${name}: the trace holds the event loop's calls`);
      const allowed = allowedBy(unit);
      // SQLite chowns the journal of onnxruntime's usage database only when running as root (euid 0); the units run
      // as User=chatterbox, where it makes no such call.
      const asRootOnly = process.geteuid?.() === 0 ? ['fchown'] : [];
      const outside = [...called].filter((call) => !allowed.has(call) && !asRootOnly.includes(call)).sort();
      assert.deepEqual(outside, [], `${name} calls syscalls ${unit} does not allow`);
    }
  });
});
