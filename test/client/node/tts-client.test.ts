import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import { TtsClient, type SpeechChunk, type SpeechStream } from '../../../client/node/tts-client.js';
import { rms } from '../../../src/audio/pcm.js';
import { TtsError } from '../../../src/protocol/errors.js';
import { SPEECH_RMS_FLOOR, longText, samplesOf } from '../../helpers/audio.js';
import { withTimeout } from '../../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../../helpers/worker.js';

let worker: TestWorker;
before(async () => {
  worker = await startTestWorker();
});
after(() => worker.close());

async function connect(t: TestContext, url = worker.wsUrl): Promise<TtsClient> {
  const client = await TtsClient.connect(url);
  t.after(() => client.close());
  return client;
}

/** Reads a whole stream; the safety timeout only turns a hang into a failure. */
async function drain(stream: SpeechStream, timeoutMs = 15_000): Promise<SpeechChunk[]> {
  const read = async () => {
    const chunks: SpeechChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  };
  return withTimeout(read(), timeoutMs, `stream ${stream.id}`);
}

function assertContiguous(chunks: SpeechChunk[]): void {
  assert.deepEqual(
    chunks.map((c) => c.seq),
    chunks.map((_, i) => i),
  );
}

const SENTENCE = 'The client reads every chunk in order.';

describe('TtsClient.connect', () => {
  it('waits for ready and exposes what the worker offers', async (t) => {
    const client = await connect(t);
    assert.equal(client.ready.engine, 'flite');
    assert.equal(client.ready.sampleRate, 16000);
    assert.deepEqual(client.ready.voices, ['slt', 'rms', 'awb', 'kal16']);
    assert.equal(client.ready.defaultVoice, 'slt');
    assert.deepEqual(client.ready.params, { speed: { min: 0.25, max: 4, default: 1 } });
    assert.deepEqual(client.ready.limits, { maxTextChars: 5000, maxRequestsPerConnection: 4, maxFrameBytes: 65536 });
  });

  it('adds the stream path to a bare ws://host:port', async (t) => {
    const client = await connect(t, `ws://127.0.0.1:${worker.port}`);
    assert.equal(client.ready.type, 'ready');
  });

  it('rejects with SERVER_BUSY (retryable) when the worker refuses the connection', async (t) => {
    const small = await startTestWorker({ 'max-connections': '1' });
    t.after(() => small.close());
    await connect(t, small.wsUrl);
    await assert.rejects(TtsClient.connect(small.wsUrl), (err: unknown) => err instanceof TtsError && err.code === 'SERVER_BUSY' && err.retryable);
  });

  it('rejects with NO_BACKEND when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    await assert.rejects(TtsClient.connect(`ws://127.0.0.1:${port}`), { code: 'NO_BACKEND' });
  });
});

describe('TtsClient.speak', () => {
  it('yields chunks with contiguous seq from 0, and done totals equal what arrived', async (t) => {
    const client = await connect(t);
    const stream = client.speak(SENTENCE);
    const chunks = await drain(stream);
    const done = await stream.done;
    assert.ok(chunks.length > 0);
    assertContiguous(chunks);
    assert.equal(done.id, stream.id);
    assert.equal(done.cancelled, false);
    assert.equal(done.chunks, chunks.length);
    assert.equal(
      done.samples,
      chunks.reduce((n, c) => n + c.samples, 0),
    );
    assert.ok(
      chunks.every((c) => c.pcm.byteLength === c.samples * 2),
      's16le is 2 bytes a sample',
    );
    assert.ok(rms(samplesOf(chunks.map((c) => c.pcm))) > SPEECH_RMS_FLOOR);
    assert.ok(done.metrics.ttfaMs > 0 && done.metrics.ttfaMs <= done.metrics.totalMs);
    assert.equal(done.metrics.audioMs, Math.round((done.samples / 16000) * 1000));
  });

  it('delivers f32le: 4 bytes a sample, the same audio as s16le within quantization', async (t) => {
    const client = await connect(t);
    const asFloat = client.speak(SENTENCE, { format: 'f32le' });
    const floats = await drain(asFloat);
    const asInt = await drain(client.speak(SENTENCE));
    assert.ok(floats.every((c) => c.pcm.byteLength === c.samples * 4));
    const f = samplesOf(
      floats.map((c) => c.pcm),
      'f32le',
    );
    const s = samplesOf(
      asInt.map((c) => c.pcm),
      's16le',
    );
    assert.equal(f.length, s.length);
    assert.ok(rms(f) > SPEECH_RMS_FLOOR);
    let worst = 0;
    f.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - s[i]!))));
    assert.ok(worst <= 1.5 / 32768, `largest difference ${worst}`);
    assert.equal((await asFloat.done).samples, f.length);
  });

  it('runs two requests on one connection, each with its own audio', async (t) => {
    const client = await connect(t);
    const [a, b] = [client.speak('First of two.', { id: 'a' }), client.speak('Second of two, a different voice.', { id: 'b', voice: 'rms' })];
    const [chunksA, chunksB] = await Promise.all([drain(a), drain(b)]);
    assertContiguous(chunksA);
    assertContiguous(chunksB);
    const solo = await drain(client.speak('First of two.'));
    assert.deepEqual(Buffer.concat(chunksA.map((c) => c.pcm)), Buffer.concat(solo.map((c) => c.pcm)), 'no frame of b landed in a');
    assert.equal(
      (await b.done).samples,
      chunksB.reduce((n, c) => n + c.samples, 0),
    );
  });

  it('cancel() ends the stream early with done.cancelled', async (t) => {
    const client = await connect(t);
    const text = longText(10);
    const stream = client.speak(text, { voice: 'kal16' });
    const chunks: SpeechChunk[] = [];
    await withTimeout(
      (async () => {
        for await (const chunk of stream) {
          chunks.push(chunk);
          if (chunk.seq === 0) stream.cancel();
        }
      })(),
      15_000,
      'the cancelled stream to end',
    );
    const done = await stream.done;
    assert.equal(done.cancelled, true);
    assert.equal(done.chunks, chunks.length);
    assertContiguous(chunks);
    const full = await client.speak(text, { voice: 'kal16' }).done;
    assert.ok(done.chunks < full.chunks, `cancelled after ${done.chunks} of ${full.chunks} chunks`);
  });

  it('an aborted signal cancels the request', async (t) => {
    const client = await connect(t);
    const abort = new AbortController();
    const stream = client.speak(longText(10), { voice: 'kal16', signal: abort.signal });
    for await (const chunk of stream) {
      if (chunk.seq === 0) abort.abort();
    }
    assert.equal((await stream.done).cancelled, true);
  });

  it('a refused request throws its TtsError from iteration and done, and the connection keeps serving', async (t) => {
    const client = await connect(t);
    const stream = client.speak('Hello.', { voice: 'hal9000' });
    await assert.rejects(drain(stream), (err: unknown) => err instanceof TtsError && err.code === 'UNKNOWN_VOICE' && !err.retryable);
    await assert.rejects(stream.done, { code: 'UNKNOWN_VOICE' });
    assert.ok((await drain(client.speak('Still here.'))).length > 0);
  });

  it('records errors about no request in connectionErrors', async (t) => {
    const client = await connect(t);
    client.sendRaw(new Uint8Array([0xc1]));
    client.sendRaw('a text frame');
    // Frames are answered in order: once this request is done, both errors have arrived.
    await client.speak('Order.').done;
    assert.deepEqual(
      client.connectionErrors.map((e) => e.code),
      ['BAD_FRAME', 'BAD_FRAME'],
    );
  });

  it('fails requests in flight when the worker goes away, and later ones at once', async (t) => {
    const own = await startTestWorker();
    const client = await connect(t, own.wsUrl);
    const stream = client.speak(longText(20), { voice: 'kal16' });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await own.close();
    await assert.rejects(stream.done, (err: unknown) => err instanceof TtsError && err.retryable);
    await assert.rejects(client.speak('Anyone there?').done, TtsError);
  });

  it('regression: a second speak() with an id in flight fails alone and leaves the first intact', async (t) => {
    const client = await connect(t);
    const first = client.speak(longText(4), { id: 'same', voice: 'kal16' });
    const second = client.speak('Other words.', { id: 'same' });
    await assert.rejects(second.done, { code: 'DUPLICATE_ID' });
    const chunks = await drain(first);
    assertContiguous(chunks);
    assert.equal((await first.done).chunks, chunks.length);
  });

  it('regression: breaking out of a stream cancels it and leaves the connection usable', async (t) => {
    const client = await connect(t);
    // More chunks than the client buffers before it stops reading the socket.
    const stream = client.speak(longText(40), { voice: 'kal16' });
    for await (const chunk of stream) {
      if (chunk.seq === 0) break;
    }
    const done = await withTimeout(stream.done, 15_000, 'the abandoned request to end');
    assert.equal(done.cancelled, true);
    assert.ok((await drain(client.speak('Next request.'))).length > 0);
  });
});
