// Servers and connections that live as long as one test: started here, closed by `t.after` when it ends.
import type { TestContext } from 'node:test';
import { RawStream } from './raw-stream.js';
import { startTestWorker, type TestWorker } from './worker.js';

/** A worker of its own for test `t` (flite, `settings` as in startTestWorker), closed after it. */
export async function startTestWorkerFor(t: TestContext, settings: Record<string, string> = {}): Promise<TestWorker> {
  const started = await startTestWorker(settings);
  t.after(() => started.close());
  return started;
}

/** A raw connection to `url` (after its first frame), closed after test `t`. */
export async function openRawStreamFor(t: TestContext, url: string): Promise<RawStream> {
  const stream = await RawStream.open(url);
  t.after(() => stream.close());
  return stream;
}
