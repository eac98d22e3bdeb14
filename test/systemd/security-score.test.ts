import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { REPO, hasCommand, readUnit } from '../helpers/systemd.js';

const SYSTEMD_DIR = join(REPO, 'systemd');

/** Highest exposure `systemd-analyze security` may give each unit (0 = locked down, 10 = fully exposed). */
const MAX_EXPOSURE: Record<string, number> = {
  'chatterbox-loadbalancer.service': 4.0,
  // The workers keep the GPU device nodes, their groups and the syscalls onnxruntime pins threads with.
  'chatterbox-gpu0.service': 4.0,
  'chatterbox-gpu1.service': 4.0,
};

/** `--offline` came with systemd 250; older versions would rate the running host's unit of that name instead. */
function offlineSupported(): boolean {
  if (!hasCommand('systemd-analyze')) return false;
  const result = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  const version = Number(/systemd (\d+)/.exec(result.stdout ?? '')?.[1] ?? 0);
  return version >= 250;
}

const needsOffline = offlineSupported() || process.env.CI ? {} : { skip: 'systemd-analyze security --offline (systemd 250+) is not available' };

/** The overall exposure `systemd-analyze security --offline=true` gives a unit file. */
function exposureOf(path: string): number {
  const result = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', path], { encoding: 'utf8' });
  if (result.error) throw result.error;
  const match = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(`${result.stdout}${result.stderr}`);
  assert.ok(match, `no exposure level in: ${result.stdout}${result.stderr}`);
  return Number(match[1]);
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'security-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('systemd-analyze security', () => {
  for (const [name, limit] of Object.entries(MAX_EXPOSURE)) {
    it(`${name} is rated at most ${limit}`, needsOffline, () => {
      const exposure = exposureOf(join(SYSTEMD_DIR, name));
      assert.ok(exposure <= limit, `${name}: exposure ${exposure} > ${limit}`);
    });
  }

  it('rates the unit without its hardening lines as exposed (so the checks above can fail)', needsOffline, (t) => {
    const text = readFileSync(join(SYSTEMD_DIR, 'chatterbox-loadbalancer.service'), 'utf8');
    const bare = text.slice(0, text.indexOf('\nUser=chatterbox'));
    const path = join(tempDir(t), 'chatterbox-loadbalancer.service');
    writeFileSync(path, `${bare}\n`);
    assert.ok(exposureOf(path) > 8, 'a unit without hardening rates above 8');
  });

  it('no MemoryDenyWriteExecute: V8 compiles code at run time into memory it writes and then executes', () => {
    for (const name of Object.keys(MAX_EXPOSURE)) assert.equal(readUnit(join(SYSTEMD_DIR, name)).get('Service', 'MemoryDenyWriteExecute'), undefined, name);
  });

  it('workers allow only the GPU device nodes; the balancer sees no devices', () => {
    const worker = readUnit(join(SYSTEMD_DIR, 'chatterbox-gpu0.service'));
    assert.equal(worker.get('Service', 'DevicePolicy'), 'closed');
    assert.deepEqual(worker.all('Service', 'DeviceAllow'), [
      'char-nvidia rw',
      'char-nvidiactl rw',
      'char-nvidia-frontend rw',
      'char-nvidia-uvm rw',
      'char-nvidia-caps rw',
      'char-drm rw',
    ]);
    const lb = readUnit(join(SYSTEMD_DIR, 'chatterbox-loadbalancer.service'));
    assert.equal(lb.get('Service', 'PrivateDevices'), 'yes');
    for (const unit of [worker, lb]) {
      assert.equal(unit.get('Service', 'CapabilityBoundingSet'), '');
      assert.equal(unit.get('Service', 'RestrictAddressFamilies'), 'AF_INET AF_INET6 AF_UNIX');
      assert.equal(unit.get('Service', 'SystemCallErrorNumber'), 'EPERM', 'a call outside the filter fails, it does not kill the worker');
    }
  });
});
