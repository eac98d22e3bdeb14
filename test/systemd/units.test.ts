import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { BALANCER_SETTINGS } from '../../src/config/balancer-config.js';
import { WORKER_SETTINGS } from '../../src/config/worker-config.js';
import { COMMITTED_UNITS, REPO, hasCommand, parseEnvFile, readUnit, renderUnits } from '../helpers/systemd.js';

const SYSTEMD_DIR = join(REPO, 'systemd');

/** Skips when systemd-analyze is missing on a developer's machine; under CI (.ci/run installs it) it must run. */
const needsAnalyze = hasCommand('systemd-analyze') || process.env.CI ? {} : { skip: 'systemd-analyze is not installed (.ci/run installs it)' };

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `systemd-analyze verify` on unit files: its exit code and everything it printed (warnings go to stderr). */
function verify(args: string[]): { code: number | null; output: string } {
  const result = spawnSync('systemd-analyze', ['verify', ...args], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return { code: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe('systemd units', () => {
  it('the committed units and env examples are exactly what render writes for /opt/chatterbox and /usr/bin/node', (t) => {
    const dir = tempDir(t, 'render-');
    renderUnits(dir, { appDir: '/opt/chatterbox', nodeBin: '/usr/bin/node', gpus: 2 });
    const rendered = readdirSync(dir).sort();
    assert.deepEqual(rendered, [...COMMITTED_UNITS, 'chatterbox.env.example', 'gpu0.env.example', 'gpu1.env.example', 'loadbalancer.env.example'].sort());
    for (const name of rendered) {
      assert.equal(
        readFileSync(join(SYSTEMD_DIR, name), 'utf8'),
        readFileSync(join(dir, name), 'utf8'),
        `systemd/${name} differs from the templates: re-render it (README "Running as a service")`,
      );
    }
  });

  it('systemd-analyze verify prints nothing for the units rendered for this checkout', needsAnalyze, (t) => {
    const dir = tempDir(t, 'verify-');
    renderUnits(dir, { appDir: REPO, nodeBin: process.execPath, gpus: 2 });
    const { code, output } = verify(COMMITTED_UNITS.map((name) => join(dir, name)));
    assert.equal(output, '');
    assert.equal(code, 0);
  });

  it('systemd-analyze verify prints nothing for the committed units, in a root laid out as install leaves it', needsAnalyze, (t) => {
    // The committed units run /usr/bin/node /opt/chatterbox/...; verify checks that the binary exists, so they are
    // checked in a root holding the stock units, the committed ones, and those two paths.
    const root = tempDir(t, 'verify-root-');
    const stock = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((dir) => existsSync(join(dir, 'multi-user.target')));
    assert.ok(stock, 'no stock systemd units found');
    cpSync(stock, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    for (const name of COMMITTED_UNITS) cpSync(join(SYSTEMD_DIR, name), join(root, 'etc/systemd/system', name));
    for (const path of ['usr/bin/node', 'opt/chatterbox/bin/chatterbox.js']) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), '#!/bin/sh\n');
      chmodSync(join(root, path), 0o755);
    }
    const { code, output } = verify([`--root=${root}`, ...COMMITTED_UNITS]);
    assert.equal(output, '');
    assert.equal(code, 0);
  });

  it('systemd-analyze verify does report a broken unit (so the checks above can fail)', needsAnalyze, (t) => {
    const dir = tempDir(t, 'verify-bad-');
    renderUnits(dir, { appDir: REPO, nodeBin: join(dir, 'no-such-node'), gpus: 1 });
    appendFileSync(join(dir, 'chatterbox-loadbalancer.service'), 'NoSuchSetting=1\n');
    const { output } = verify(['chatterbox-gpu0.service', 'chatterbox-loadbalancer.service'].map((name) => join(dir, name)));
    assert.match(output, /no-such-node is not executable/);
    assert.match(output, /Unknown key( name)? 'NoSuchSetting'/);
  });

  it('for 4 GPUs: four worker units on ports that skip the balancer, all wanted by the target and the balancer', needsAnalyze, (t) => {
    const dir = tempDir(t, 'render4-');
    renderUnits(dir, { appDir: REPO, nodeBin: process.execPath, gpus: 4 });
    const workers = [0, 1, 2, 3].map((n) => `chatterbox-gpu${n}.service`);
    const ports = [0, 1, 2, 3].map((n) => parseEnvFile(readFileSync(join(dir, `gpu${n}.env.example`), 'utf8')));
    assert.deepEqual(
      ports.map((env) => [env.CHATTERBOX_GPU, env.CHATTERBOX_PORT]),
      [
        ['0', '6093'],
        ['1', '6094'],
        ['2', '6096'],
        ['3', '6097'],
      ],
    );
    const lbEnv = parseEnvFile(readFileSync(join(dir, 'loadbalancer.env.example'), 'utf8'));
    assert.equal(lbEnv.CHATTERBOX_LB_PORT, '6095');
    assert.equal(lbEnv.CHATTERBOX_BACKENDS, 'ws://127.0.0.1:6093,ws://127.0.0.1:6094,ws://127.0.0.1:6096,ws://127.0.0.1:6097');
    const lb = readUnit(join(dir, 'chatterbox-loadbalancer.service'));
    for (const key of ['Wants', 'After']) assert.deepEqual(lb.get('Unit', key)?.split(' '), ['network-online.target', ...workers], key);
    const target = readUnit(join(dir, 'chatterbox-backend.target'));
    assert.deepEqual(target.get('Unit', 'Wants')?.split(' '), [...workers, 'chatterbox-loadbalancer.service']);
    for (const n of [0, 1, 2, 3]) assert.equal(readUnit(join(dir, workers[n]!)).get('Service', 'EnvironmentFile'), `/etc/chatterbox/gpu${n}.env`);
    const { code, output } = verify([...workers, 'chatterbox-loadbalancer.service', 'chatterbox-backend.target'].map((name) => join(dir, name)));
    assert.equal(output, '');
    assert.equal(code, 0);
  });
});

describe('unit policy', () => {
  const services = COMMITTED_UNITS.filter((name) => name.endsWith('.service'));

  for (const name of services) {
    it(`${name}: restart policy, limits, readiness, journal logging, hardening`, () => {
      const unit = readUnit(join(SYSTEMD_DIR, name));
      const expected: Array<[string, string, string]> = [
        ['Unit', 'StartLimitIntervalSec', '600'],
        ['Unit', 'StartLimitBurst', '5'],
        ['Unit', 'PartOf', 'chatterbox-backend.target'],
        ['Service', 'Type', 'notify'],
        ['Service', 'NotifyAccess', 'all'],
        ['Service', 'Restart', 'always'],
        ['Service', 'RestartSec', '10'],
        ['Service', 'LimitNOFILE', '65536'],
        ['Service', 'LimitNPROC', '4096'],
        ['Service', 'StandardOutput', 'journal'],
        ['Service', 'SyslogIdentifier', name.replace('.service', '')],
        ['Service', 'SyslogLevelPrefix', 'yes'],
        ['Service', 'User', 'chatterbox'],
        ['Service', 'NoNewPrivileges', 'yes'],
        ['Service', 'ProtectSystem', 'strict'],
        ['Service', 'PrivateTmp', 'yes'],
        ['Service', 'KillMode', 'mixed'],
      ];
      for (const [section, key, value] of expected) assert.equal(unit.get(section, key), value, `[${section}] ${key}`);
      // The start limit belongs in [Unit]; in [Service] systemd ignores it with a warning.
      assert.equal(unit.get('Service', 'StartLimitBurst'), undefined);
      assert.ok(unit.all('Service', 'Environment').includes('CHATTERBOX_LOG_FORMAT=journal'));
      assert.match(unit.get('Service', 'ExecStart') ?? '', /^\/usr\/bin\/node \/opt\/chatterbox\/bin\/chatterbox\.js (serve|balance)$/);
      // Regression: the original logged to files (StandardOutput=append:), so journalctl -u showed nothing useful.
      assert.equal(unit.get('Service', 'StandardError'), 'journal');
      assert.doesNotMatch(readFileSync(join(SYSTEMD_DIR, name), 'utf8'), /append:|Standard(Output|Error)=file:/);
    });
  }

  it('GPU units: GPU groups, writable voice and cache directories, a start timeout for model loading', () => {
    for (const name of ['chatterbox-gpu0.service', 'chatterbox-gpu1.service']) {
      const unit = readUnit(join(SYSTEMD_DIR, name));
      assert.equal(unit.get('Service', 'SupplementaryGroups'), 'video render');
      assert.deepEqual(unit.get('Service', 'ReadWritePaths')?.split(' '), ['/var/lib/chatterbox', '/var/cache/chatterbox']);
      assert.ok(Number(unit.get('Service', 'TimeoutStartSec')) >= 300, 'model loading needs minutes, not the default 90 s');
      assert.equal(unit.get('Service', 'PrivateDevices'), undefined, 'PrivateDevices would hide the GPU');
    }
  });

  it('the GPU units are one program with different settings: they differ only in their number', () => {
    const gpu0 = readFileSync(join(SYSTEMD_DIR, 'chatterbox-gpu0.service'), 'utf8');
    const gpu1 = readFileSync(join(SYSTEMD_DIR, 'chatterbox-gpu1.service'), 'utf8');
    assert.notEqual(gpu0, gpu1);
    assert.equal(gpu1.replace(/gpu1/g, 'gpu0').replace(/GPU 1/g, 'GPU 0'), gpu0);
    assert.equal(readUnit(join(SYSTEMD_DIR, 'chatterbox-gpu1.service')).get('Service', 'EnvironmentFile'), '/etc/chatterbox/gpu1.env');
    const env = parseEnvFile(readFileSync(join(SYSTEMD_DIR, 'gpu1.env.example'), 'utf8'));
    assert.equal(env.CHATTERBOX_GPU, '1');
    assert.equal(env.CHATTERBOX_PORT, '6094');
  });

  it('regression: the balancer Wants= the workers, never Requires=, so restarting one GPU keeps the other sessions', () => {
    const lb = readUnit(join(SYSTEMD_DIR, 'chatterbox-loadbalancer.service'));
    const workers = ['chatterbox-gpu0.service', 'chatterbox-gpu1.service'];
    for (const key of ['Wants', 'After']) {
      for (const worker of workers) assert.ok(lb.get('Unit', key)?.split(' ').includes(worker), `${key}= ${worker}`);
    }
    for (const key of ['Requires', 'Requisite', 'BindsTo', 'PartOf']) {
      for (const value of lb.all('Unit', key)) for (const worker of workers) assert.ok(!value.includes(worker), `${key}=${value}`);
    }
  });

  it('the target wants all three units and is enabled from multi-user.target', () => {
    const target = readUnit(join(SYSTEMD_DIR, 'chatterbox-backend.target'));
    assert.deepEqual(target.get('Unit', 'Wants')?.split(' '), ['chatterbox-gpu0.service', 'chatterbox-gpu1.service', 'chatterbox-loadbalancer.service']);
    assert.equal(target.get('Install', 'WantedBy'), 'multi-user.target');
  });

  it('TimeoutStopSec leaves room for the SIGTERM drain the env files and defaults configure', () => {
    const shared = parseEnvFile(readFileSync(join(SYSTEMD_DIR, 'chatterbox.env.example'), 'utf8'));
    const drains: Array<[string, number]> = [
      ['chatterbox-gpu0.service', Number(shared.CHATTERBOX_DRAIN_TIMEOUT_SEC ?? WORKER_SETTINGS.drainTimeoutSec.default)],
      ['chatterbox-loadbalancer.service', Number(shared.CHATTERBOX_LB_DRAIN_TIMEOUT_SEC ?? BALANCER_SETTINGS.drainTimeoutSec.default)],
    ];
    for (const [name, drainSec] of drains) {
      const stopSec = Number(readUnit(join(SYSTEMD_DIR, name)).get('Service', 'TimeoutStopSec'));
      assert.ok(stopSec >= drainSec + 10, `${name}: TimeoutStopSec=${stopSec} but the drain takes up to ${drainSec} s`);
    }
  });
});
