import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { notifyAssignments, notifySystemd } from '../../src/service/systemd-notify.js';
import { withTimeout } from '../helpers/raw-stream.js';
import { hasCommand } from '../helpers/systemd.js';

/** A logger whose entries are kept as parsed objects. */
function captureLogger() {
  const entries: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'trace',
    format: 'json',
    destination: { write: (line: string) => entries.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, entries };
}

/**
 * The receiving end of NOTIFY_SOCKET as the service manager has it: an AF_UNIX datagram socket, which Node cannot
 * open, so a few lines of Python stand in. Like systemd it closes the fd of a BARRIER=1 message, which releases
 * systemd-notify's wait. Prints each datagram as a JSON string, one per line.
 */
const RECEIVER = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
s.settimeout(10)
while True:
    try:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(64))
    except socket.timeout:
        break
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(json.dumps(msg.decode()), flush=True)
`;

const realNotify = hasCommand('systemd-notify') || process.env.CI ? {} : { skip: 'systemd-notify is not installed (.ci/run installs systemd)' };

describe('notifySystemd', () => {
  it('builds the sd_notify assignments for each state', () => {
    assert.deepEqual(notifyAssignments({ ready: true, status: 'serving on port 6093' }), ['READY=1', 'STATUS=serving on port 6093']);
    assert.deepEqual(notifyAssignments({ stopping: true, status: 'draining' }), ['STOPPING=1', 'STATUS=draining']);
    assert.deepEqual(notifyAssignments({ status: 'two\nlines' }), ['STATUS=two lines']);
  });

  it('is a no-op outside systemd (no NOTIFY_SOCKET)', async () => {
    const { logger, entries } = captureLogger();
    assert.equal(await notifySystemd({ ready: true }, logger, { PATH: '/nonexistent' }), false);
    assert.deepEqual(entries, []);
  });

  it('logs a warning, never throws, when systemd-notify is missing', async () => {
    const { logger, entries } = captureLogger();
    assert.equal(await notifySystemd({ ready: true }, logger, { NOTIFY_SOCKET: '/run/systemd/notify', PATH: '/nonexistent' }), false);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.msg, 'could not run systemd-notify');
    assert.equal(entries[0]!.level, 'warn');
  });

  it('logs a warning when systemd-notify cannot deliver', realNotify, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const { logger, entries } = captureLogger();
    assert.equal(await notifySystemd({ ready: true }, logger, { NOTIFY_SOCKET: join(dir, 'no-such-socket') }), false);
    assert.equal(entries[0]!.msg, 'systemd-notify failed');
  });

  it(
    'delivers READY=1 and STOPPING=1 through the real systemd-notify, which waits until the manager has read them',
    { ...realNotify, ...(hasCommand('python3') ? {} : { skip: 'python3 is not installed' }) },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'notify-'));
      const socket = join(dir, 'notify');
      const receiver = spawn('python3', ['-c', RECEIVER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
      t.after(() => {
        receiver.kill();
        rmSync(dir, { recursive: true, force: true });
      });
      let out = '';
      receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await withTimeout(new Promise<void>((resolve) => receiver.stdout.on('data', () => out.includes('bound') && resolve())), 10_000, 'the receiving socket');
      const env = { NOTIFY_SOCKET: socket };
      assert.equal(await notifySystemd({ ready: true, status: 'serving (flite) on port 6093' }, undefined, env), true);
      assert.equal(await notifySystemd({ stopping: true, status: 'draining' }, undefined, env), true);
      const messages = out
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string);
      // systemd-notify returned only after its BARRIER=1 was read, so both messages are already here.
      assert.deepEqual(messages, ['READY=1\nSTATUS=serving (flite) on port 6093', 'BARRIER=1', 'STOPPING=1\nSTATUS=draining', 'BARRIER=1']);
    },
  );
});
