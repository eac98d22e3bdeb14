import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { withTimeout } from '../helpers/raw-stream.js';
import { REPO, freePort, parseEnvFile, readUnit, renderUnits } from '../helpers/systemd.js';

/** systemd's PATH for system services (systemd.exec(5), "Environment Variables in Spawned Processes"). */
const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** One sd_notify call as the stand-in systemd-notify saw it, with the service's /health status at that moment. */
interface Notification {
  args: string[];
  socket: string;
  healthStatus: number | string;
}

/** A unit's ExecStart running as systemd would start it, minus systemd. */
interface RunningUnit {
  name: string;
  child: ChildProcess;
  port: number;
  stopTimeoutMs: number;
  stdout(): string;
  notifications(): Notification[];
}

let dir = '';
let fakeBin = '';
const running: RunningUnit[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'exec-start-'));
  renderUnits(dir, { appDir: REPO, nodeBin: process.execPath, gpus: 2 });
  // A stand-in for systemd-notify(1) (PID 1 here is not systemd): it records its arguments and asks the service's
  // /health at that moment, which shows whether READY=1 came only once the service could serve.
  fakeBin = join(dir, 'bin');
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, 'package.json'), '{"type":"commonjs"}');
  const notify = join(fakeBin, 'systemd-notify');
  writeFileSync(
    notify,
    `#!${process.execPath}
const { appendFileSync } = require('node:fs');
const args = process.argv.slice(2);
const record = (healthStatus) => appendFileSync(process.env.FAKE_NOTIFY_LOG, JSON.stringify({ args, socket: process.env.NOTIFY_SOCKET, healthStatus }) + '\\n');
if (!args.includes('READY=1')) record('not asked');
else fetch(process.env.FAKE_HEALTH_URL, { signal: AbortSignal.timeout(2000) }).then((res) => record(res.status), (err) => record(String(err.cause?.code ?? err.name)));
`,
  );
  chmodSync(notify, 0o755);
});

after(() => {
  for (const unit of running) if (unit.child.exitCode === null && unit.child.signalCode === null) unit.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The environment systemd would give the unit: Environment= entries, then each EnvironmentFile= in order (the
 * rendered example stands in for /etc/chatterbox/NAME.env; a missing optional "-" file is skipped), then `overrides`.
 */
function unitEnvironment(name: string, overrides: Record<string, string>): Record<string, string> {
  const unit = readUnit(join(dir, name));
  const env: Record<string, string> = {};
  for (const assignment of unit.all('Service', 'Environment')) {
    const eq = assignment.indexOf('=');
    env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  for (const entry of unit.all('Service', 'EnvironmentFile')) {
    const optional = entry.startsWith('-');
    const match = /^\/etc\/chatterbox\/([\w.-]+)\.env$/.exec(entry.replace(/^-/, ''));
    assert.ok(match, `EnvironmentFile=${entry} is not in /etc/chatterbox`);
    const example = join(dir, `${match[1]}.env.example`);
    if (optional && !existsSync(example)) continue;
    Object.assign(env, parseEnvFile(readFileSync(example, 'utf8')));
  }
  return { ...env, ...overrides };
}

/** Starts the unit's ExecStart with its environment and waits for READY=1 (or fails when the process exits). */
async function startUnit(name: string, port: number, overrides: Record<string, string>): Promise<RunningUnit> {
  const unit = readUnit(join(dir, name));
  assert.equal(unit.get('Service', 'Type'), 'notify');
  const [command, ...args] = (unit.get('Service', 'ExecStart') ?? '').split(/\s+/);
  assert.equal(command, process.execPath, 'ExecStart runs node by its absolute path');
  const notifyLog = join(dir, `${name}.${running.length}.notify.log`);
  const env = {
    ...unitEnvironment(name, overrides),
    PATH: `${fakeBin}:${SERVICE_PATH}`,
    HOME: dir,
    NOTIFY_SOCKET: '/run/systemd/notify',
    FAKE_NOTIFY_LOG: notifyLog,
    FAKE_HEALTH_URL: `http://127.0.0.1:${port}/health`,
  };
  const child = spawn(command!, args, { cwd: unit.get('Service', 'WorkingDirectory'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const notifications = () =>
    existsSync(notifyLog)
      ? readFileSync(notifyLog, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Notification)
      : [];
  const started: RunningUnit = { name, child, port, stopTimeoutMs: Number(unit.get('Service', 'TimeoutStopSec')) * 1000, stdout: () => stdout, notifications };
  running.push(started);
  const exited = () =>
    child.exitCode === null && child.signalCode === null
      ? undefined
      : `${name} exited (${child.signalCode ?? child.exitCode}) before READY=1:\n${stdout}${stderr}`;
  await waitFor(
    () => notifications().some((n) => n.args.includes('READY=1')),
    Number(unit.get('Service', 'TimeoutStartSec')) * 1000,
    `${name} READY=1`,
    exited,
  );
  return started;
}

/** Resolves once `predicate()` holds, polling; rejects naming `what` after `timeoutMs`, or when `failure()` says why. */
function waitFor(predicate: () => boolean, timeoutMs: number, what: string, failure: () => string | undefined = () => undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const timer = setInterval(() => {
      const failed = failure();
      if (predicate()) {
        clearInterval(timer);
        resolve();
      } else if (failed !== undefined) {
        clearInterval(timer);
        reject(new Error(failed));
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }
    }, 20);
  });
}

/** SIGTERM, as `systemctl stop` sends it; asserts a clean exit (0) within the unit's TimeoutStopSec. */
async function stopUnit(unit: RunningUnit): Promise<void> {
  const exited = once(unit.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  unit.child.kill('SIGTERM');
  const [code, signal] = await withTimeout(exited, unit.stopTimeoutMs, `${unit.name} to exit after SIGTERM (TimeoutStopSec)`);
  assert.equal(signal, null, `${unit.name} was killed by ${signal}`);
  assert.equal(code, 0, `${unit.name} exit code`);
  // systemd-notify was started when the drain began; it may write its record just after the service is gone.
  await waitFor(() => unit.notifications().some((n) => n.args.includes('STOPPING=1')), 5000, `${unit.name} to send STOPPING=1`);
}

/** Every stdout line is `<N>{json}` with N the entry's own syslog priority: what journald files it under. */
function assertJournalLines(unit: RunningUnit): void {
  const lines = unit.stdout().split('\n').filter(Boolean);
  assert.ok(lines.length > 0, `${unit.name} logged nothing`);
  for (const line of lines) {
    const match = /^<([0-7])>(\{.*\})$/.exec(line);
    assert.ok(match, `${unit.name}: not a <priority>{json} line: ${line}`);
    assert.equal(Number(match[1]), (JSON.parse(match[2]!) as { priority: number }).priority, line);
  }
}

/** Asserts the unit said READY=1 once, when its /health already answered 200, over the socket systemd named. */
function assertReadyWhenServing(unit: RunningUnit): void {
  const ready = unit.notifications().filter((n) => n.args.includes('READY=1'));
  assert.equal(ready.length, 1, JSON.stringify(unit.notifications()));
  assert.equal(ready[0]!.healthStatus, 200, `${unit.name}: /health when READY=1 was sent`);
  assert.equal(ready[0]!.socket, '/run/systemd/notify');
  assert.ok(
    ready[0]!.args.some((a) => a.startsWith('STATUS=')),
    'a status line for systemctl status',
  );
}

async function startWorkers(): Promise<RunningUnit[]> {
  const ports = [await freePort(), await freePort()];
  return Promise.all(ports.map((port, gpu) => startUnit(`chatterbox-gpu${gpu}.service`, port, { CHATTERBOX_PORT: String(port) })));
}

describe('ExecStart of each unit, run with its environment', () => {
  it('chatterbox-gpu0 and chatterbox-gpu1 serve /health on their ports, log for journald, and stop cleanly on SIGTERM', async () => {
    const workers = await startWorkers();
    for (const [gpu, worker] of workers.entries()) {
      const health = await httpRequest(`http://127.0.0.1:${worker.port}/health`);
      assert.equal(health.status, 200);
      const body = jsonOf<{ status: string; gpu: number; engine: string }>(health);
      assert.equal(body.status, 'ok');
      assert.equal(body.gpu, gpu, 'CHATTERBOX_GPU from /etc/chatterbox/gpuN.env');
      assertReadyWhenServing(worker);
    }
    await Promise.all(workers.map(stopUnit));
    for (const worker of workers) assertJournalLines(worker);
  });

  it('chatterbox-loadbalancer, started after both workers, serves /health and /lb-stats and stops cleanly on SIGTERM', async () => {
    const workers = await startWorkers();
    const lbPort = await freePort();
    const lb = await startUnit('chatterbox-loadbalancer.service', lbPort, {
      CHATTERBOX_LB_PORT: String(lbPort),
      CHATTERBOX_BACKENDS: workers.map((w) => `ws://127.0.0.1:${w.port}`).join(','),
    });
    const health = await httpRequest(`http://127.0.0.1:${lbPort}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(
      (({ status, healthyBackends, totalBackends }) => ({ status, healthyBackends, totalBackends }))(
        jsonOf<{ status: string; healthyBackends: number; totalBackends: number }>(health),
      ),
      { status: 'ok', healthyBackends: 2, totalBackends: 2 },
    );
    const stats = jsonOf<{ backends: Array<{ state: string }> }>(await httpRequest(`http://127.0.0.1:${lbPort}/lb-stats`));
    assert.deepEqual(
      stats.backends.map((b) => b.state),
      ['up', 'up'],
    );
    assertReadyWhenServing(lb);
    await stopUnit(lb);
    assertJournalLines(lb);
    await Promise.all(workers.map(stopUnit));
  });
});
