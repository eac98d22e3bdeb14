import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { startBalancerFor } from '../helpers/per-test.js';
import { pollUntil } from '../helpers/poll.js';
import { RawStream, withTimeout } from '../helpers/raw-stream.js';
import { socketBufferBytes } from '../helpers/socket-buffers.js';
import { spawnWorkerProcess } from '../helpers/worker.js';

const MAX_SEND_BUFFER = 65_536;
/** An error reply to a text frame is under 100 bytes: enough bad frames that the replies overflow every buffer twice. */
const FLOOD_FRAMES = Math.ceil((2 * (socketBufferBytes() + MAX_SEND_BUFFER)) / 90);
const CLOSING_LINE = 'client does not read what it is sent; closing';

/** Floods `url` with one-byte text frames without reading, until `closing()` says the server gave up on it; then reads. */
async function floodWithoutReading(t: TestContext, url: string, closing: () => boolean): Promise<RawStream> {
  const flooder = await RawStream.open(url);
  t.after(() => flooder.close());
  flooder.ws.pause();
  for (let i = 0; i < FLOOD_FRAMES; i++) flooder.sendRaw('x');
  await pollUntil('the server to give up on the client', closing, { timeoutMs: 30_000, intervalMs: 50 });
  flooder.ws.resume();
  assert.deepEqual(await withTimeout(flooder.closed, 15_000, 'the close'), { code: 1008, reason: 'CLIENT_TOO_SLOW' });
  const last = flooder.frames.at(-1);
  assert.equal(last?.type === 'error' && last.id === undefined && last.code, 'CLIENT_TOO_SLOW', 'the last frame says why');
  return flooder;
}

function badFrameReplies(stream: RawStream): number {
  return stream.frames.filter((f) => f.type === 'error' && f.code === 'BAD_FRAME').length;
}

describe('clients that send bad frames and never read', () => {
  it('regression: the worker closes one with CLIENT_TOO_SLOW once its replies pass --max-send-buffer, and logs a line a second, not a line a frame', async (t) => {
    const worker = await spawnWorkerProcess(['--max-send-buffer', String(MAX_SEND_BUFFER), '--log-level', 'warn']);
    t.after(() => worker.child.kill('SIGKILL'));
    const flooder = await floodWithoutReading(t, `ws://127.0.0.1:${worker.port}/v1/stream`, () => worker.output().includes(CLOSING_LINE));
    const replies = badFrameReplies(flooder);
    assert.ok(replies > 0 && replies < FLOOD_FRAMES, `${replies} replies of ${FLOOD_FRAMES} frames`);

    // Every frame the worker read is counted once in the log; the last count is written when the connection ends.
    const counted = () =>
      worker
        .output()
        .split('\n')
        .filter((line) => line.includes('"rejected client frames"'))
        .map((line) => JSON.parse(line) as { count: number; codes: Record<string, number> });
    const lines = await pollUntil('the rejected frames to be logged', () => {
      const found = counted();
      return found.reduce((n, line) => n + line.count, 0) > replies && found;
    });
    const total = lines.reduce((n, line) => n + line.count, 0);
    assert.ok(total <= FLOOD_FRAMES);
    assert.ok(lines.every((line) => line.codes.BAD_FRAME === line.count));
    assert.ok(lines.length * 100 < total, `${lines.length} log lines for ${total} rejected frames`);
  });

  it('regression: the balancer closes one with CLIENT_TOO_SLOW once its replies pass --max-send-buffer', async (t) => {
    const worker = await spawnWorkerProcess(['--log-level', 'warn']);
    t.after(() => worker.child.kill('SIGKILL'));
    const logged: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void logged.push(line) } });
    const lb = await startBalancerFor(t, [worker.port], { 'max-send-buffer': String(MAX_SEND_BUFFER) }, logger);
    const flooder = await floodWithoutReading(t, `ws://127.0.0.1:${lb.port}/v1/stream`, () => logged.some((line) => line.includes(CLOSING_LINE)));
    assert.ok(badFrameReplies(flooder) > 0);
    assert.equal(lb.pool.backends[0]!.state, 'up');
  });
});
