import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { TtsClient, type SpeechChunk, type SpeechStream } from '../../../client/node/tts-client.js';
import { withTimeout } from '../../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../../helpers/worker.js';

// TtsClient.speakStream against a real worker with flite: text from an async iterable, spoken as one request.
const REPLY = 'Streaming text in. It is spoken as it arrives, sentence by sentence.';

let worker: TestWorker;
before(async () => {
  worker = await startTestWorker({ 'input-max-delay-ms': '60000' });
});
after(() => worker.close());

async function connect(t: TestContext): Promise<TtsClient> {
  const client = await TtsClient.connect(worker.wsUrl);
  t.after(() => client.close());
  return client;
}

async function drain(stream: SpeechStream): Promise<SpeechChunk[]> {
  const read = async () => {
    const chunks: SpeechChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  };
  return withTimeout(read(), 15_000, `stream ${stream.id}`);
}

async function* wordsOf(text: string): AsyncGenerator<string> {
  for (const word of text.split(/(?= )/u)) yield word;
}

const pcm = (chunks: SpeechChunk[]) => Buffer.concat(chunks.map((c) => c.pcm));

describe('TtsClient.speakStream', () => {
  it('speaks text from an async iterable as one request: the same audio as the whole text', async (t) => {
    const client = await connect(t);
    const whole = await drain(client.speak(REPLY));
    const stream = client.speakStream(wordsOf(REPLY));
    const chunks = await drain(stream);
    const done = await stream.done;
    assert.deepEqual(
      chunks.map((c) => c.seq),
      chunks.map((_, i) => i),
    );
    assert.equal(done.chunks, chunks.length);
    assert.ok(pcm(chunks).equals(pcm(whole)));
  });

  it('the first sentence is heard before the iterable has produced the rest', async (t) => {
    const client = await connect(t);
    let heard!: () => void;
    const firstAudio = new Promise<void>((resolve) => (heard = resolve));
    async function* agent(): AsyncGenerator<string> {
      yield 'The first sentence.';
      yield ' Then';
      // The producer waits here until the listener has heard the first sentence.
      await firstAudio;
      yield ' the rest of it.';
    }
    const stream = client.speakStream(agent());
    const chunks: SpeechChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      heard();
    }
    assert.equal((await stream.done).cancelled, false);
    assert.ok(chunks.length > 1);
  });

  it('a throwing iterable cancels the request', async (t) => {
    const client = await connect(t);
    async function* failing(): AsyncGenerator<string> {
      yield 'Some words';
      throw new Error('the language model failed');
    }
    const stream = client.speakStream(failing());
    await drain(stream);
    assert.equal((await stream.done).cancelled, true);
  });

  it('a request the server refuses stops reading the iterable', async (t) => {
    const client = await connect(t);
    let closed!: () => void;
    const producerClosed = new Promise<void>((resolve) => (closed = resolve));
    async function* endless(): AsyncGenerator<string> {
      try {
        for (;;) {
          // A token at a time, as a language model's stream gives them.
          await new Promise((resolve) => setImmediate(resolve));
          yield 'word ';
        }
      } finally {
        closed();
      }
    }
    const stream = client.speakStream(endless(), { voice: 'nobody' });
    await assert.rejects(stream.done, { code: 'UNKNOWN_VOICE' });
    await withTimeout(producerClosed, 5000, 'the iterable to be closed');
  });
});
