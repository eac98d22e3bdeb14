import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, isJournalStream, resolveLogFormat, syslogPriority } from '../../src/logging/logger.js';
import { withTimeout } from '../helpers/raw-stream.js';

/** A destination that keeps every line pino writes. */
function captureLines(): { write(line: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)) };
}

const LEVELS = [
  ['trace', 7],
  ['debug', 7],
  ['info', 6],
  ['warn', 4],
  ['error', 3],
  ['fatal', 2],
] as const;

describe('log line format', () => {
  it('maps every pino level to its syslog priority', () => {
    for (const [level, priority] of [
      [10, 7],
      [20, 7],
      [30, 6],
      [40, 4],
      [50, 3],
      [60, 2],
    ] as const) {
      assert.equal(syslogPriority(level), priority, `level ${level}`);
    }
  });

  it('journal format: each line starts with the <priority> journald reads, then the JSON with the same priority', () => {
    const out = captureLines();
    const root = createLogger({ level: 'trace', format: 'journal', destination: out });
    const child = root.child({ component: 'worker', gpu: 1 });
    for (const [level] of LEVELS) child[level]({ requestId: 'r1' }, `a ${level} line`);
    assert.equal(out.lines.length, LEVELS.length);
    for (const [i, [level, priority]] of LEVELS.entries()) {
      const line = out.lines[i]!;
      const match = /^<(\d)>(\{.*\})$/.exec(line);
      assert.ok(match, `not <N>{json}: ${line}`);
      assert.equal(Number(match[1]), priority, `${level}: prefix`);
      const entry = JSON.parse(match[2]!) as Record<string, unknown>;
      assert.equal(entry.level, level);
      assert.equal(entry.priority, priority, `${level}: priority field`);
      assert.equal(entry.msg, `a ${level} line`);
      assert.equal(entry.component, 'worker');
    }
  });

  it('json format: plain JSON lines, still carrying the numeric priority', () => {
    const out = captureLines();
    const logger = createLogger({ format: 'json', destination: out });
    logger.warn('careful');
    assert.equal(out.lines.length, 1);
    assert.ok(out.lines[0]!.startsWith('{'), out.lines[0]);
    assert.equal((JSON.parse(out.lines[0]!) as { priority: number }).priority, 4);
  });

  it('auto with a destination of its own writes JSON (auto only looks at stdout)', () => {
    const out = captureLines();
    createLogger({ format: 'auto', destination: out }).error('x');
    assert.ok(out.lines[0]!.startsWith('{'));
  });
});

describe('journal detection', () => {
  it('isJournalStream compares JOURNAL_STREAM with the device and inode of the descriptor', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const fd = openSync(join(dir, 'out'), 'w');
    t.after(() => {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    });
    const stat = statSync(join(dir, 'out'), { bigint: true });
    assert.equal(isJournalStream(`${stat.dev}:${stat.ino}`, fd), true);
    assert.equal(isJournalStream(`${stat.dev}:${stat.ino + 1n}`, fd), false);
    assert.equal(isJournalStream(undefined, fd), false);
    assert.equal(isJournalStream('garbage', fd), false);
  });

  it('resolveLogFormat: explicit formats win; auto is json without JOURNAL_STREAM', () => {
    assert.equal(resolveLogFormat('journal', {}), 'journal');
    assert.equal(resolveLogFormat('json', { JOURNAL_STREAM: '1:1' }), 'json');
    assert.equal(resolveLogFormat('auto', {}), 'json');
    assert.equal(resolveLogFormat(undefined, {}), 'json');
  });

  it('a process whose stdout is the stream JOURNAL_STREAM names writes <priority> lines; inherited but stale, JSON', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const script = `import { createLogger } from ${JSON.stringify(new URL('../../src/logging/logger.js', import.meta.url).href)};
      const logger = createLogger({ format: 'auto' }); logger.warn('w'); logger.info('i'); logger.flush();`;
    const run = async (name: string, journalStream: (path: string) => string) => {
      const path = join(dir, name);
      const fd = openSync(path, 'w');
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, JOURNAL_STREAM: journalStream(path) },
        stdio: ['ignore', fd, 'inherit'],
      });
      closeSync(fd);
      const [code] = (await withTimeout(once(child, 'exit'), 15_000, 'logger child')) as [number];
      assert.equal(code, 0);
      return readFileSync(path, 'utf8').trim().split('\n');
    };
    const identity = (path: string) => {
      const stat = statSync(path, { bigint: true });
      return `${stat.dev}:${stat.ino}`;
    };
    const journal = await run('journal', identity);
    assert.deepEqual(
      journal.map((l) => l.slice(0, 4)),
      ['<4>{', '<6>{'],
    );
    const stale = await run('stale', () => '1:2');
    assert.deepEqual(
      stale.map((l) => l.slice(0, 1)),
      ['{', '{'],
    );
  });
});
