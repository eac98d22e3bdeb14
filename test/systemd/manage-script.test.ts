import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { withTimeout } from '../helpers/raw-stream.js';
import { REPO, SCRIPT, freePort, hasCommand, parseEnvFile, readFakeLog, readUnit, runScript, writeFakeCommands } from '../helpers/systemd.js';
import { startTestWorker } from '../helpers/worker.js';

/**
 * A sandbox for the script: a copy of it beside a tiny stand-in of a built checkout (so install copies kilobytes),
 * recording stand-ins for systemctl, journalctl and the user tools first on PATH, and DESTDIR for every file it writes.
 * PID 1 is not systemd on these machines, so what is checked is which systemctl/journalctl calls each command makes.
 */
interface Sandbox {
  script: string;
  root: string;
  node: string;
  env: Record<string, string>;
  calls(): string[];
  clearCalls(): void;
  run(args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

const UNIT_DIR = 'etc/systemd/system';
const CONF_DIR = 'etc/chatterbox';

function createSandbox(t: TestContext, fakes: Record<string, string> = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'manage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'checkout');
  for (const path of ['bin/chatterbox.js', 'dist/src/cli.js', 'node_modules/pino/package.json', 'package.json', 'README.md']) {
    mkdirSync(join(source, path, '..'), { recursive: true });
    writeFileSync(join(source, path), `// ${path}\n`);
  }
  cpSync(join(REPO, 'systemd'), join(source, 'systemd'), { recursive: true });
  const bin = join(dir, 'fake-bin');
  const state = join(dir, 'fake-state');
  mkdirSync(state);
  writeFakeCommands(bin, {
    systemctl: `[[ $1 == show ]] && printf 'ActiveState=active\\nSubState=running\\nMainPID=4242\\nNRestarts=1\\nStatusText=serving (flite)\\n'
[[ "systemctl $*" == "\${FAKE_FAIL:-}" ]] && exit 1
exit 0`,
    journalctl: 'echo "-- journal --"',
    useradd: 'touch "$FAKE_STATE/user-${*: -1}"',
    userdel: 'rm -f "$FAKE_STATE/user-$1"',
    groupadd: '',
    chown: '',
    getent: `if [[ $1 == passwd ]]; then [[ -e $FAKE_STATE/user-$2 ]] || exit 2; echo "$2:x:999:999::/var/lib/chatterbox:/usr/sbin/nologin"; fi
exit 0`,
    ...fakes,
  });
  // node by a path outside /root and /home, as install requires (ProtectHome=yes in the units).
  const node = join(bin, 'node');
  symlinkSync(process.execPath, node);
  const log = join(dir, 'calls.log');
  const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: dir, FAKE_LOG: log, FAKE_STATE: state, DESTDIR: join(dir, 'root') };
  const script = join(source, 'systemd', 'manage-backend-services.sh');
  return {
    script,
    root: env.DESTDIR,
    node,
    env,
    calls: () => readFakeLog(log).filter((call) => !call.startsWith('getent ')),
    clearCalls: () => rmSync(log, { force: true }),
    run: (args, options = {}) => runScript(args, { script, env: { ...env, ...options.env }, ...(options.input === undefined ? {} : { input: options.input }) }),
  };
}

/** A sandbox with the backend installed for `gpus` GPUs and the install's calls cleared. */
async function installedSandbox(t: TestContext, gpus = 2): Promise<Sandbox> {
  const box = createSandbox(t);
  const result = await box.run(['install', '--gpus', String(gpus)]);
  assert.equal(result.code, 0, result.stderr);
  box.clearCalls();
  return box;
}

describe('manage-backend-services.sh install', () => {
  it('copies the app, creates the user and directories, writes units and env files, reloads and enables the target', async (t) => {
    const box = createSandbox(t);
    const { code, stderr } = await box.run(['install', '--gpus', '3']);
    assert.equal(code, 0, stderr);
    assert.deepEqual(box.calls(), [
      'useradd --system --user-group --home-dir /var/lib/chatterbox --no-create-home --shell /usr/sbin/nologin --comment Chatterbox TTS backend chatterbox',
      `chown chatterbox:chatterbox -- ${box.root}/var/lib/chatterbox ${box.root}/var/lib/chatterbox/voices ${box.root}/var/cache/chatterbox`,
      'systemctl daemon-reload',
      'systemctl enable chatterbox-backend.target',
    ]);
    assert.ok(existsSync(join(box.root, 'opt/chatterbox/bin/chatterbox.js')), 'app copied to /opt/chatterbox');
    assert.ok(existsSync(join(box.root, 'opt/chatterbox/dist/src/cli.js')));
    for (const path of ['var/lib/chatterbox/voices', 'var/lib/chatterbox/models', 'var/cache/chatterbox']) assert.ok(existsSync(join(box.root, path)), path);
    for (const n of [0, 1, 2]) {
      const unit = readUnit(join(box.root, UNIT_DIR, `chatterbox-gpu${n}.service`));
      assert.equal(unit.get('Service', 'ExecStart'), `${box.node} /opt/chatterbox/bin/chatterbox.js serve`);
      assert.equal(unit.get('Service', 'EnvironmentFile'), `/etc/chatterbox/gpu${n}.env`);
      assert.equal(parseEnvFile(readFileSync(join(box.root, CONF_DIR, `gpu${n}.env`), 'utf8')).CHATTERBOX_GPU, String(n));
    }
    assert.ok(!existsSync(join(box.root, UNIT_DIR, 'chatterbox-gpu3.service')));
    const lbEnv = parseEnvFile(readFileSync(join(box.root, CONF_DIR, 'loadbalancer.env'), 'utf8'));
    assert.equal(lbEnv.CHATTERBOX_BACKENDS, 'ws://127.0.0.1:6093,ws://127.0.0.1:6094,ws://127.0.0.1:6096');
    assert.ok(existsSync(join(box.root, CONF_DIR, 'chatterbox.env')));
    assert.deepEqual(
      readUnit(join(box.root, UNIT_DIR, 'chatterbox-backend.target'))
        .get('Unit', 'Wants')
        ?.split(' '),
      ['chatterbox-gpu0.service', 'chatterbox-gpu1.service', 'chatterbox-gpu2.service', 'chatterbox-loadbalancer.service'],
    );
  });

  it('again with fewer GPUs: keeps edited env files, stops and removes the extra unit, warns about the worker list', async (t) => {
    const box = await installedSandbox(t, 3);
    const gpu0Env = join(box.root, CONF_DIR, 'gpu0.env');
    writeFileSync(gpu0Env, 'CHATTERBOX_GPU=0\nCHATTERBOX_PORT=7000\n');
    const { code, stdout, stderr } = await box.run(['install', '--gpus', '2']);
    assert.equal(code, 0, stderr);
    assert.equal(readFileSync(gpu0Env, 'utf8'), 'CHATTERBOX_GPU=0\nCHATTERBOX_PORT=7000\n');
    assert.match(stdout, /kept \/etc\/chatterbox\/gpu0\.env/);
    assert.ok(!existsSync(join(box.root, UNIT_DIR, 'chatterbox-gpu2.service')));
    assert.ok(box.calls().includes('systemctl stop chatterbox-gpu2.service'));
    assert.ok(!box.calls().some((call) => call.startsWith('useradd')), 'the user exists already');
    assert.match(stderr, /loadbalancer\.env lists CHATTERBOX_BACKENDS=.*6096; this install's workers are ws:\/\/127\.0\.0\.1:6093,ws:\/\/127\.0\.0\.1:6094/);
    assert.deepEqual(box.calls().slice(-2), ['systemctl daemon-reload', 'systemctl enable chatterbox-backend.target']);
  });

  it('without --gpus, makes one worker unit per GPU that nvidia-smi lists', async (t) => {
    const box = createSandbox(t, {
      'nvidia-smi': 'for n in 0 1 2 3; do echo "GPU $n: NVIDIA H100 80GB HBM3 (UUID: GPU-$n)"; done',
    });
    const { code, stderr } = await box.run(['install']);
    assert.equal(code, 0, stderr);
    for (const n of [0, 1, 2, 3]) assert.ok(existsSync(join(box.root, UNIT_DIR, `chatterbox-gpu${n}.service`)), `gpu${n}`);
    assert.ok(box.calls().includes('nvidia-smi --list-gpus'));
  });

  it('refuses a node under /root or /home, which the units cannot reach (ProtectHome=yes)', async (t) => {
    const box = createSandbox(t);
    const { code, stderr } = await box.run(['install', '--gpus', '1'], { env: { NODE_BIN: '/root/.nvm/versions/node/v20.0.0/bin/node' } });
    assert.notEqual(code, 0);
    assert.match(stderr, /ProtectHome/);
    assert.deepEqual(box.calls(), []);
  });
});

describe('manage-backend-services.sh install never deletes what it does not own', () => {
  /** A scratch root with /opt/other/keep.txt beside where the app goes. */
  function withSibling(box: Sandbox): string {
    const sibling = join(box.root, 'opt/other/keep.txt');
    mkdirSync(join(sibling, '..'), { recursive: true });
    writeFileSync(sibling, 'not ours\n');
    return sibling;
  }

  it('regression: APP_DIR=/opt is refused before anything is written, and the folders beside the app stay', async (t) => {
    const box = createSandbox(t);
    const sibling = withSibling(box);
    for (const appDir of ['/opt', '/opt/', '/opt//']) {
      const { code, stderr } = await box.run(['install', '--gpus', '1'], { env: { APP_DIR: appDir } });
      assert.notEqual(code, 0, appDir);
      assert.match(stderr, /shared directory|plain path/, appDir);
    }
    assert.equal(readFileSync(sibling, 'utf8'), 'not ours\n');
    assert.deepEqual(box.calls(), []);
    assert.ok(!existsSync(join(box.root, UNIT_DIR)), 'no units written');
  });

  it('refuses other shared directories, the home directory and paths with . or ..', async (t) => {
    const box = createSandbox(t);
    for (const appDir of ['/', '/usr', '/usr/local', '/home', box.env.HOME!, '/opt/chatterbox/../other', 'opt/chatterbox']) {
      const { code, stderr } = await box.run(['install', '--gpus', '1'], { env: { APP_DIR: appDir } });
      assert.notEqual(code, 0, appDir);
      assert.match(stderr, /shared directory|home directory|plain path|absolute path/, `${appDir}: ${stderr}`);
    }
    assert.deepEqual(box.calls(), []);
  });

  it('refuses an existing non-empty directory without the marker, and leaves it as it was', async (t) => {
    const box = createSandbox(t);
    const theirs = join(box.root, 'opt/theirs/data.txt');
    mkdirSync(join(theirs, '..'), { recursive: true });
    writeFileSync(theirs, 'precious\n');
    const { code, stderr } = await box.run(['install', '--gpus', '1'], { env: { APP_DIR: '/opt/theirs' } });
    assert.notEqual(code, 0);
    assert.match(stderr, /not empty and was not installed by this script/);
    assert.equal(readFileSync(theirs, 'utf8'), 'precious\n');
    assert.deepEqual(box.calls(), []);
  });

  it('installs into an empty or its own directory, again and again, and only the app changes', async (t) => {
    const box = createSandbox(t);
    const sibling = withSibling(box);
    mkdirSync(join(box.root, 'opt/chatterbox'), { recursive: true });
    for (let round = 0; round < 2; round++) {
      const { code, stderr } = await box.run(['install', '--gpus', '1']);
      assert.equal(code, 0, stderr);
    }
    assert.ok(existsSync(join(box.root, 'opt/chatterbox/.chatterbox-app')), 'marker written');
    assert.ok(existsSync(join(box.root, 'opt/chatterbox/bin/chatterbox.js')));
    assert.deepEqual(readdirSync(join(box.root, 'opt')).sort(), ['chatterbox', 'other'], 'no staging folders left behind');
    assert.equal(readFileSync(sibling, 'utf8'), 'not ours\n');
  });

  it('replaces a copy installed before the marker existed (exactly the copied entries)', async (t) => {
    const box = createSandbox(t);
    for (const path of ['bin/chatterbox.js', 'dist/src/cli.js', 'node_modules/x/package.json', 'package.json', 'README.md']) {
      mkdirSync(join(box.root, 'opt/chatterbox', path, '..'), { recursive: true });
      writeFileSync(join(box.root, 'opt/chatterbox', path), 'old\n');
    }
    const { code, stderr } = await box.run(['install', '--gpus', '1']);
    assert.equal(code, 0, stderr);
    assert.ok(!existsSync(join(box.root, 'opt/chatterbox/node_modules/x')), 'the old copy was replaced');
  });

  it('uninstall keeps an APP_DIR it did not install', async (t) => {
    const box = await installedSandbox(t);
    const theirs = join(box.root, 'opt/theirs/bin/chatterbox.js');
    mkdirSync(join(theirs, '..'), { recursive: true });
    writeFileSync(theirs, 'theirs\n');
    writeFileSync(join(box.root, 'opt/theirs/notes.txt'), 'theirs\n');
    const { code, stdout, stderr } = await box.run(['uninstall'], { env: { APP_DIR: '/opt/theirs' } });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /kept \/opt\/theirs/);
    assert.ok(existsSync(theirs));
  });
});

describe('manage-backend-services.sh commands', () => {
  const cases: Array<[string[], string[]]> = [
    [['start'], ['systemctl start chatterbox-backend.target']],
    [['start', 'gpu1'], ['systemctl start chatterbox-gpu1.service']],
    [['stop'], ['systemctl stop chatterbox-backend.target chatterbox-gpu0.service chatterbox-gpu1.service chatterbox-loadbalancer.service']],
    [['stop', 'lb'], ['systemctl stop chatterbox-loadbalancer.service']],
    [
      ['restart'],
      [
        'systemctl restart chatterbox-gpu0.service',
        'systemctl restart chatterbox-gpu1.service',
        'systemctl restart chatterbox-loadbalancer.service',
        'systemctl start chatterbox-backend.target',
      ],
    ],
    [['restart', 'chatterbox-gpu0.service'], ['systemctl restart chatterbox-gpu0.service']],
    [['logs'], ['journalctl --no-pager --unit chatterbox-* --lines 100']],
    [['logs', 'loadbalancer'], ['journalctl --no-pager --unit chatterbox-loadbalancer.service --lines 100']],
    [['logs', 'gpu1', '-f', '-n', '20', '-p', 'warning'], ['journalctl --no-pager --unit chatterbox-gpu1.service --lines 20 --priority warning --follow']],
  ];

  it('each subcommand makes exactly its systemctl / journalctl calls', async (t) => {
    const box = await installedSandbox(t);
    for (const [args, expected] of cases) {
      box.clearCalls();
      const { code, stderr } = await box.run(args);
      assert.equal(code, 0, `${args.join(' ')}: ${stderr}`);
      assert.deepEqual(box.calls(), expected, args.join(' '));
    }
  });

  it('a restart stops rolling at the first unit that fails to come back', async (t) => {
    const box = await installedSandbox(t);
    const { code } = await box.run(['restart'], { env: { FAKE_FAIL: 'systemctl restart chatterbox-gpu0.service' } });
    assert.notEqual(code, 0);
    assert.deepEqual(box.calls(), ['systemctl restart chatterbox-gpu0.service']);
  });

  it('rejects unknown services and commands without calling systemctl', async (t) => {
    const box = await installedSandbox(t);
    for (const args of [['start', 'gpu'], ['stop', 'gpux1'], ['logs', 'nope'], ['frobnicate']]) {
      const { code, stderr } = await box.run(args);
      assert.notEqual(code, 0, args.join(' '));
      assert.match(stderr, /unknown|Usage/, args.join(' '));
    }
    assert.deepEqual(box.calls(), []);
  });

  it('start, stop and status say what to do when nothing is installed', async (t) => {
    const box = createSandbox(t);
    for (const command of ['start', 'stop', 'status', 'restart']) {
      const { code, stderr } = await box.run([command]);
      assert.equal(code, 1, command);
      assert.match(stderr, /run: .* install/);
    }
    assert.deepEqual(box.calls(), []);
  });

  it('status: each unit state, live /health of each worker, and the /lb-stats summary', async (t) => {
    const box = await installedSandbox(t);
    const worker = await startTestWorker();
    t.after(() => worker.close());
    const deadPort = await freePort();
    const lb = fork(
      join(REPO, 'bin/chatterbox.js'),
      ['balance', '--host', '127.0.0.1', '--port', '0', '--backend', `ws://127.0.0.1:${worker.port}`, '--backend', `ws://127.0.0.1:${deadPort}`],
      {
        env: { ...process.env, CHATTERBOX_LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      },
    );
    t.after(() => lb.kill('SIGKILL'));
    const [message] = (await withTimeout(once(lb, 'message'), 15_000, 'balancer listening')) as [{ port: number }];
    writeFileSync(join(box.root, CONF_DIR, 'gpu0.env'), `CHATTERBOX_GPU=0\nCHATTERBOX_PORT=${worker.port}\nCHATTERBOX_HOST=0.0.0.0\n`);
    writeFileSync(join(box.root, CONF_DIR, 'gpu1.env'), `CHATTERBOX_GPU=1\nCHATTERBOX_PORT=${deadPort}\n`);
    writeFileSync(join(box.root, CONF_DIR, 'loadbalancer.env'), `CHATTERBOX_LB_PORT=${message.port}\nCHATTERBOX_LB_HOST=127.0.0.1\n`);

    const { code, stdout } = await box.run(['status']);
    assert.equal(code, 1, 'a worker is unreachable, so status fails');
    for (const unit of ['chatterbox-backend.target', 'chatterbox-gpu0.service', 'chatterbox-gpu1.service', 'chatterbox-loadbalancer.service']) {
      assert.ok(box.calls().includes(`systemctl show ${unit} -p ActiveState -p SubState -p MainPID -p NRestarts -p StatusText`), unit);
      assert.match(stdout, new RegExp(`^${unit.replace('.', '\\.')}\\s+active/running\\s+4242\\s+1\\s+serving \\(flite\\)$`, 'm'));
    }
    assert.match(
      stdout,
      new RegExp(`gpu0\\s+127\\.0\\.0\\.1:${worker.port}\\s+ok \\(HTTP 200\\)\\s+engine flite on \\S+.*sessions 0\\s+active 0/\\d+\\s+queued 0`),
    );
    assert.match(stdout, new RegExp(`gpu1\\s+127\\.0\\.0\\.1:${deadPort}\\s+unreachable \\(ECONNREFUSED\\)`));
    assert.match(stdout, /balancer degraded\s+backends 1\/2 healthy/);
    assert.match(stdout, new RegExp(`ws://127\\.0\\.0\\.1:${worker.port}\\s+up`));
    assert.match(stdout, new RegExp(`ws://127\\.0\\.0\\.1:${deadPort}\\s+down`));
    assert.ok(!box.calls().some((call) => !call.startsWith('systemctl show ')), `status only reads: ${box.calls().join('; ')}`);
  });

  it('the interactive menu, driven through stdin, runs the chosen commands and returns to the menu after an error', async (t) => {
    const box = await installedSandbox(t);
    const input = ['2', '', 'bogus', '3', 'lb', '4', 'gpu1', '2', 'nope', '5', 'gpu0', '6', '', 'q'].join('\n');
    const { code, stdout, stderr } = await box.run([], { input: `${input}\n` });
    assert.equal(code, 0, stderr);
    assert.deepEqual(box.calls(), [
      'systemctl start chatterbox-backend.target',
      'systemctl stop chatterbox-loadbalancer.service',
      'systemctl restart chatterbox-gpu1.service',
      'journalctl --no-pager --unit chatterbox-gpu0.service --lines 100',
      'journalctl --no-pager --unit chatterbox-* --lines 100 --follow',
    ]);
    assert.match(stderr, /unknown choice 'bogus'/);
    assert.match(stderr, /unknown service 'nope'/);
    assert.match(stdout, /1\) status/);
  });

  it('the menu ends at the end of its input', async (t) => {
    const box = await installedSandbox(t);
    const { code } = await box.run([], { input: '2\n\n' });
    assert.equal(code, 0);
    assert.deepEqual(box.calls(), ['systemctl start chatterbox-backend.target']);
  });
});

describe('manage-backend-services.sh uninstall', () => {
  it('stops and disables through systemctl, removes units and the app, keeps config, data and the user', async (t) => {
    const box = await installedSandbox(t);
    const { code, stderr } = await box.run(['uninstall']);
    assert.equal(code, 0, stderr);
    assert.deepEqual(box.calls(), [
      'systemctl disable --now chatterbox-backend.target',
      'systemctl stop chatterbox-gpu0.service chatterbox-gpu1.service chatterbox-loadbalancer.service',
      'systemctl daemon-reload',
      'systemctl reset-failed chatterbox-gpu0.service chatterbox-gpu1.service chatterbox-loadbalancer.service chatterbox-backend.target',
    ]);
    for (const name of ['chatterbox-gpu0.service', 'chatterbox-loadbalancer.service', 'chatterbox-backend.target'])
      assert.ok(!existsSync(join(box.root, UNIT_DIR, name)), name);
    assert.ok(!existsSync(join(box.root, 'opt/chatterbox')));
    assert.ok(existsSync(join(box.root, CONF_DIR, 'gpu0.env')));
    assert.ok(existsSync(join(box.root, 'var/lib/chatterbox/voices')));
  });

  it('--purge also removes config, data, cache and the user', async (t) => {
    const box = await installedSandbox(t);
    const { code, stderr } = await box.run(['uninstall', '--purge']);
    assert.equal(code, 0, stderr);
    for (const path of [CONF_DIR, 'var/lib/chatterbox', 'var/cache/chatterbox']) assert.ok(!existsSync(join(box.root, path)), path);
    assert.equal(box.calls().at(-1), 'userdel chatterbox');
  });
});

describe('manage-backend-services.sh source', () => {
  it('regression: it never signals processes itself (the original used pkill -f); only systemd stops services', () => {
    const text = readFileSync(SCRIPT, 'utf8');
    assert.doesNotMatch(text, /\b(pkill|killall|kill)\b/);
  });

  it('shellcheck passes', hasCommand('shellcheck') || process.env.CI ? {} : { skip: 'shellcheck is not installed (.ci/run installs it)' }, () => {
    const result = spawnSync('shellcheck', ['--severity=style', SCRIPT], { encoding: 'utf8' });
    assert.equal(`${result.stdout}${result.stderr}`, '');
    assert.equal(result.status, 0);
  });
});
