// The browser client module as shipped (the esbuild bundle dist/client/browser/tts-client.js), run in Node
// against a real Flite worker with `ws` standing in for the browser's WebSocket.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { TtsClient } from '../../client/node/tts-client.js';
import type { WorkerHealth } from '../../src/server/health.js';
import type { DoneMessage, ReadyMessage } from '../../src/protocol/messages.js';
import { longText } from '../helpers/audio.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { withTimeout } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

/** The bundle's exports as a web app sees them (the types live in client/browser/tts-browser-client.ts). */
interface Chunk {
  seq: number;
  pcm: Uint8Array;
  samples: number;
}
interface Stream extends AsyncIterable<Chunk> {
  readonly id: string;
  readonly done: Promise<DoneMessage>;
  cancel(): void;
}
interface Client {
  readonly ready: ReadyMessage;
  readonly isOpen: boolean;
  readonly closed: Promise<Error & { code: string }>;
  speak(text: string, options?: { voice?: string; params?: Record<string, number>; id?: string; signal?: AbortSignal }): Stream;
  cancel(id: string): void;
  close(): void;
}
interface BrowserClientModule {
  connect(url?: string, options?: { timeoutMs?: number; WebSocket?: unknown }): Promise<Client>;
  streamUrl(base?: string): string;
  toFloat32(chunk: Chunk, format?: 's16le' | 'f32le'): Float32Array;
  TtsError: new (...args: never[]) => Error & { code: string; retryable: boolean };
}

const BUNDLE = new URL('../../client/browser/tts-client.js', import.meta.url);

let lib: BrowserClientModule;
let worker: TestWorker;
before(async () => {
  lib = (await import(BUNDLE.href)) as BrowserClientModule;
  worker = await startTestWorker();
});
after(() => worker?.close());

async function connect(t: TestContext, url = worker.wsUrl): Promise<Client> {
  const client = await lib.connect(url, { WebSocket });
  t.after(() => client.close());
  return client;
}

async function drain(stream: Stream): Promise<Chunk[]> {
  const read = async () => {
    const chunks: Chunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  };
  return withTimeout(read(), 15_000, `stream ${stream.id}`);
}

async function health(): Promise<WorkerHealth> {
  return jsonOf<WorkerHealth>(await httpRequest(`${worker.httpUrl}/health`));
}

/** Polls /health until `check` holds; the deadline only turns a hang into a failure. */
async function waitForHealth(check: (h: WorkerHealth) => boolean, what: string): Promise<WorkerHealth> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const h = await health();
    if (check(h)) return h;
    if (Date.now() > deadline) assert.fail(`worker never reached: ${what} (last: ${JSON.stringify(h)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('browser client module (bundle)', () => {
  it('connects with or without the stream path, and exposes ready', async (t) => {
    const client = await connect(t, `http://127.0.0.1:${worker.port}`);
    assert.equal(client.ready.engine, 'flite');
    assert.equal(client.ready.sampleRate, 16000);
    assert.equal(client.isOpen, true);
    assert.equal(lib.streamUrl('http://example.test:6095'), 'ws://example.test:6095/v1/stream');
    assert.equal(lib.streamUrl('https://example.test/'), 'wss://example.test/v1/stream');
    assert.equal(lib.streamUrl('ws://example.test:1/v1/stream'), 'ws://example.test:1/v1/stream');
  });

  it('streams the same audio as the Node client: contiguous seq, done totals, decodable samples', async (t) => {
    const text = 'The browser client and the Node client share one protocol.';
    const client = await connect(t);
    const stream = client.speak(text, { voice: 'kal16', params: { speed: 1.2 } });
    const chunks = await drain(stream);
    const done = await stream.done;
    assert.deepEqual(
      chunks.map((c) => c.seq),
      chunks.map((_, i) => i),
    );
    assert.equal(done.chunks, chunks.length);
    assert.equal(
      done.samples,
      chunks.reduce((n, c) => n + c.samples, 0),
    );
    assert.equal(done.cancelled, false);
    assert.equal(lib.toFloat32(chunks[0]!).length, chunks[0]!.samples);

    const node = await TtsClient.connect(worker.wsUrl);
    t.after(() => node.close());
    const reference = node.speak(text, { voice: 'kal16', params: { speed: 1.2 } });
    const expected: Uint8Array[] = [];
    for await (const chunk of reference) expected.push(chunk.pcm);
    assert.deepEqual(Buffer.concat(chunks.map((c) => c.pcm)), Buffer.concat(expected), 'Flite is deterministic: same text, same bytes');
  });

  it('cancel ends the request with done.cancelled and frees the worker', async (t) => {
    const client = await connect(t);
    const stream = client.speak(longText(60));
    let seen = 0;
    for await (const chunk of stream) {
      assert.equal(chunk.seq, seen++);
      if (seen === 1) {
        assert.equal((await health()).activeRequests, 1, 'still generating when cancelled');
        stream.cancel();
      }
    }
    const done = await stream.done;
    assert.equal(done.cancelled, true);
    assert.equal(done.chunks, seen);
    await waitForHealth((h) => h.activeRequests === 0, 'activeRequests 0');
  });

  it('breaking out of the iteration cancels the request', async (t) => {
    const client = await connect(t);
    const stream = client.speak(longText(60));
    for await (const chunk of stream) {
      assert.equal(chunk.seq, 0);
      break;
    }
    await waitForHealth((h) => h.activeRequests === 0, 'activeRequests 0');
  });

  it('throws the server error as a TtsError with its code from iteration and done', async (t) => {
    const client = await connect(t);
    for (const [text, code] of [
      ['   ', 'TEXT_EMPTY'],
      ['x'.repeat(client.ready.limits.maxTextChars + 1), 'TEXT_TOO_LONG'],
    ] as const) {
      const stream = client.speak(text);
      await assert.rejects(drain(stream), (err: unknown) => err instanceof lib.TtsError && err.code === code);
      await assert.rejects(stream.done, { code });
    }
    const unknownVoice = client.speak('hello', { voice: 'nobody' });
    await assert.rejects(unknownVoice.done, { code: 'UNKNOWN_VOICE' });
    assert.equal(client.isOpen, true, 'a bad request does not close the connection');
    assert.ok((await drain(client.speak('Still fine.'))).length > 0);
  });

  it('after close, closed resolves and new requests fail at once', async (t) => {
    const client = await connect(t);
    client.close();
    const error = await withTimeout(client.closed, 5000, 'closed');
    assert.equal(error.code, 'BACKEND_LOST');
    assert.equal(client.isOpen, false);
    await assert.rejects(client.speak('too late').done, { code: 'BACKEND_LOST' });
  });

  it('rejects with NO_BACKEND when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    await assert.rejects(lib.connect(`ws://127.0.0.1:${port}`, { WebSocket }), { code: 'NO_BACKEND' });
  });
});
