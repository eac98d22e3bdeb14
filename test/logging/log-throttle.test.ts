import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { throttleLog } from '../../src/logging/log-throttle.js';
import { createLogger } from '../../src/logging/logger.js';

interface Line {
  msg: string;
  count: number;
  codes: Record<string, number>;
  code: string;
}

function capture(): { logger: ReturnType<typeof createLogger>; lines: Line[] } {
  const lines: Line[] = [];
  const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Line) } });
  return { logger, lines };
}

describe('throttleLog', () => {
  it('logs the first event at once and the rest of a burst as one line whose counts add up', () => {
    const { logger, lines } = capture();
    const throttle = throttleLog(logger, 'rejected client frames', 60_000);
    throttle.note('BAD_FRAME');
    assert.equal(lines.length, 1, 'the first event is logged at once');
    for (let i = 0; i < 999; i++) throttle.note(i % 3 === 0 ? 'BAD_MESSAGE' : 'BAD_FRAME');
    assert.equal(lines.length, 1, 'the rest wait for the interval');
    throttle.stop();
    assert.equal(lines.length, 2, 'stopping writes what is still counted');
    assert.deepEqual(
      lines.map((l) => [l.msg, l.count]),
      [
        ['rejected client frames', 1],
        ['rejected client frames', 999],
      ],
    );
    assert.deepEqual(lines[1]!.codes, { BAD_MESSAGE: 333, BAD_FRAME: 666 });
    throttle.stop();
    assert.equal(lines.length, 2, 'nothing more to write');
  });

  it("writes a burst's count when its interval ends, without waiting for the next event", async () => {
    const { logger, lines } = capture();
    const throttle = throttleLog(logger, 'rejected client frames', 10);
    throttle.note('BAD_FRAME');
    throttle.note('BAD_FRAME');
    throttle.note('BAD_FRAME');
    while (lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(
      lines.map((l) => l.count),
      [1, 2],
    );
    throttle.stop();
    assert.equal(lines.length, 2);
  });
});
