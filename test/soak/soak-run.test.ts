import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { withTimeout } from '../helpers/raw-stream.js';
import { REPO } from '../helpers/systemd.js';

/** The number after `label` in the soak's summary. */
function count(summary: string, label: RegExp): number {
  const match = label.exec(summary);
  assert.ok(match, `${label} not in:\n${summary}`);
  return Number(match[1]);
}

describe('npm run soak (a short run)', () => {
  // Memory is judged only over long runs (npm run soak's default limit); a 12 s run says nothing about leaks.
  it('12 s with 6 sessions and a worker killed every 4 s: nothing lost or duplicated, every request ends once', async () => {
    const child = spawn(
      process.execPath,
      [
        join(REPO, 'dist/bench/soak/soak.js'),
        '--minutes',
        '0.2',
        '--sessions',
        '6',
        '--kill-every-sec',
        '4',
        '--seed',
        '11',
        '--warmup-sec',
        '2',
        '--settle-sec',
        '1',
        '--max-rss-growth',
        '1000',
      ],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await withTimeout(once(child, 'exit'), 120_000, 'the soak to finish').catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    })) as [number | null];
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /result\s+PASS/);
    assert.equal(count(stdout, /lost (\d+)/), 0);
    assert.equal(count(stdout, /duplicated (\d+)/), 0);
    assert.equal(count(stdout, /never (\d+)/), 0);
    assert.ok(count(stdout, /requests\s+(\d+)/) > 0);
    assert.ok(count(stdout, /completed (\d+)/) > 0);
    assert.ok(count(stdout, /worker kills\s+(\d+)/) >= 1);
    assert.match(stdout, /RSS balancer\s+\d+ MB \/ \d+ MB -> \d+ MB \(peak \d+ MB\)\n/);
    assert.match(stdout, /RSS worker gpu0\s+\d+ MB \/ \d+ MB -> \d+ MB \(peak \d+ MB\)\n/, 'the first worker is never killed');
    assert.match(stdout, /RSS worker gpu1 .*restarted \d+x: not judged/);
  });
});
