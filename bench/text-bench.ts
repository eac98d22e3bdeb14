import { once } from 'node:events';
import { RawStream } from '../test/helpers/raw-stream.js';
import { spawnWorkerProcess } from '../test/helpers/worker.js';
import { printTable } from './stats.js';

// Pathological text on a Flite worker process, side by side with a plain paragraph of about the same length: how soon
// its first audio comes, how soon a short request sent on another connection just after it gets its first audio,
// how long a cancel sent after its first audio takes to end it, and (for texts with nothing to say) the whole run.

const OTHER_DELAY_MS = 20;
const PLAIN = 'The quick brown fox jumps over the lazy dog near the river bank. '.repeat(70);
const TEXTS: Array<[string, string, { whole: boolean }]> = [
  ['plain paragraph', PLAIN, { whole: false }],
  ["'9'×4000", '9'.repeat(4000), { whole: false }],
  ["'a'×5000", 'a'.repeat(5000), { whole: false }],
  ["'$'×3000", '$'.repeat(3000), { whole: false }],
  ['emoji×2500', '😀'.repeat(2500), { whole: true }],
  ["'.'×5000", '.'.repeat(5000), { whole: true }],
];

async function measure(url: string, text: string, whole: boolean): Promise<Array<number>> {
  const slow = await RawStream.open(url);
  const other = await RawStream.open(url);
  try {
    const started = performance.now();
    slow.send({ type: 'start', id: 'slow', text });
    // The short request comes a moment later, once the engine thread is busy with the long one.
    await new Promise((resolve) => setTimeout(resolve, OTHER_DELAY_MS));
    const otherStarted = performance.now();
    other.send({ type: 'start', id: 'short', text: 'Hello there.' });
    const otherAudio = other.waitFor((f) => f.type === 'audio' && f.id === 'short', 0, 120_000).then(() => performance.now() - otherStarted);
    const first = await slow.waitFor((f) => (f.type === 'audio' || f.type === 'done' || f.type === 'error') && f.id === 'slow', 0, 120_000);
    const firstMs = performance.now() - started;
    const otherMs = await otherAudio;
    if (whole || first.type !== 'audio') {
      const end = await slow.result('slow', 120_000);
      return [firstMs, otherMs, Number.NaN, performance.now() - started, end.audio.reduce((n, a) => n + a.samples, 0) / slow.ready.sampleRate];
    }
    const cancelled = performance.now();
    slow.send({ type: 'cancel', id: 'slow' });
    await slow.result('slow', 120_000);
    return [firstMs, otherMs, performance.now() - cancelled, Number.NaN, Number.NaN];
  } finally {
    await Promise.all([slow.close(), other.close()]);
  }
}

/** The text section of `npm run bench`. */
export async function benchText(): Promise<void> {
  const worker = await spawnWorkerProcess([], { CHATTERBOX_LOG_LEVEL: 'warn' });
  try {
    const url = `ws://127.0.0.1:${worker.port}/v1/stream`;
    await measure(url, 'Warm up.', true);
    const rows: Array<Array<string | number>> = [];
    for (const [name, text, { whole }] of TEXTS) rows.push([name, text.length, ...(await measure(url, text, whole))]);
    printTable(
      'Pathological text on a Flite worker (one engine thread)',
      ['text', 'chars', 'first audio ms', 'other conn. first audio ms', 'cancel → done ms', 'whole run ms', 'audio s'],
      rows,
    );
  } finally {
    const exited = once(worker.child, 'exit');
    worker.child.kill('SIGTERM');
    await exited;
  }
}
