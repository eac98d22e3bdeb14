import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { CLIENT_FRAME_TYPES, PROTOCOL_VERSION, type AudioMessage, type DoneMessage, type ErrorMessage } from '../../src/protocol/messages.js';
import { RawStream, assertCompleted, pcmOf } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// Streamed input on a real worker with the flite engine, over a real socket: text frames in, one request's audio out.
const REPLY = 'The weather is fine today. We could walk to the river, or stay in and read. Dr. Smith said 3.14 is close enough.';

let worker: TestWorker;
before(async () => {
  // No wait for more text: only sentence ends, flush and end decide the cuts, so the tests are deterministic.
  worker = await startTestWorker({ 'input-max-delay-ms': '60000', 'max-text-chars': '400', 'input-idle-timeout': '1' });
});
after(() => worker.close());

async function connect(t: TestContext, url = worker.wsUrl): Promise<RawStream> {
  const stream = await RawStream.open(url);
  t.after(() => stream.close());
  return stream;
}

/** Words with the space before them, as a language model streams its tokens. */
function words(text: string): string[] {
  return text.split(/(?= )/u);
}

const isAudioOf =
  (id: string) =>
  (frame: { type: string; id?: string }): frame is AudioMessage =>
    frame.type === 'audio' && frame.id === id;

describe('streamed input', () => {
  it('ready says protocol 2 and lists the frames the server takes', async (t) => {
    const stream = await connect(t);
    assert.equal(stream.ready.protocol, PROTOCOL_VERSION);
    assert.deepEqual(stream.ready.frames, [...CLIENT_FRAME_TYPES]);
  });

  it('text sent word by word sounds exactly like the whole text sent at once', async (t) => {
    const stream = await connect(t);
    const whole = assertCompleted(await stream.speak('whole', REPLY));
    stream.send({ type: 'start', id: 'fed', input: 'stream' });
    for (const word of words(REPLY)) stream.send({ type: 'text', id: 'fed', text: word });
    stream.send({ type: 'end', id: 'fed' });
    const fed = await stream.result('fed');
    assertCompleted(fed);
    assert.equal(fed.end.type === 'done' && fed.end.samples, whole.samples);
    assert.ok(pcmOf(fed).equals(pcmOf(await stream.result('whole'))), 'same samples: the pieces were cut where the sentences end');
  });

  it('the first sentence is spoken while the rest of the text is still to come', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'a', input: 'stream', text: 'The first sentence is here.' });
    // The next word confirms the sentence ended (it could have been "Dr." or "3.").
    stream.send({ type: 'text', id: 'a', text: ' And' });
    await stream.waitFor(isAudioOf('a'));
    stream.send({ type: 'text', id: 'a', text: ' then the second one.' });
    stream.send({ type: 'end', id: 'a' });
    assertCompleted(await stream.result('a'));
  });

  it('an abbreviation or a decimal at the end of the text so far is not cut', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'dr', input: 'stream', text: 'I met Dr.' });
    stream.send({ type: 'text', id: 'dr', text: ' Smith at 3.' });
    stream.send({ type: 'text', id: 'dr', text: '14 sharp.' });
    stream.send({ type: 'end', id: 'dr' });
    const fed = await stream.result('dr');
    assertCompleted(fed);
    const whole = await stream.speak('dr-whole', 'I met Dr. Smith at 3.14 sharp.');
    assert.ok(pcmOf(fed).equals(pcmOf(whole)), 'spoken as one sentence');
  });

  it('flush speaks an unfinished sentence now', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'f', input: 'stream', text: 'Well, let me think' });
    stream.send({ type: 'flush', id: 'f' });
    await stream.waitFor(isAudioOf('f'));
    stream.send({ type: 'text', id: 'f', text: ' about it.' });
    stream.send({ type: 'end', id: 'f' });
    assertCompleted(await stream.result('f'));
  });

  it('cancel ends a streamed request at any point', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'c', input: 'stream', text: 'Some text that waits' });
    stream.send({ type: 'cancel', id: 'c' });
    const result = await stream.result('c');
    assert.equal(result.end.type, 'done');
    assert.equal((result.end as DoneMessage).cancelled, true);
  });
});

describe('streamed input: bad input gets a coded error, and nothing else is disturbed', () => {
  it('text for an id not in flight: UNKNOWN_REQUEST naming it', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'text', id: 'nobody', text: 'hello' });
    const error = await stream.waitFor((f): f is ErrorMessage => f.type === 'error');
    assert.equal(error.code, 'UNKNOWN_REQUEST');
    assert.equal(error.id, 'nobody');
  });

  it('text after end, and text for a request not streamed: INPUT_CLOSED, and the request completes', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'e', input: 'stream', text: 'Short and done.' });
    stream.send({ type: 'end', id: 'e' });
    stream.send({ type: 'text', id: 'e', text: ' More.' });
    stream.send({ type: 'start', id: 'w', text: 'A whole text.' });
    stream.send({ type: 'flush', id: 'w' });
    const closedAfterEnd = await stream.nextConnectionError(0);
    assert.equal(closedAfterEnd.code, 'INPUT_CLOSED');
    const notStreamed = await stream.nextConnectionError(stream.frames.indexOf(closedAfterEnd) + 1);
    assert.equal(notStreamed.code, 'INPUT_CLOSED');
    assertCompleted(await stream.result('e'));
    assertCompleted(await stream.result('w'));
  });

  it('text beyond --max-text-chars over the whole request: TEXT_TOO_LONG ends that request only', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'long', input: 'stream' });
    stream.send({ type: 'start', id: 'other', input: 'stream', text: 'Another request on the same connection.' });
    for (let i = 0; i < 21; i++) stream.send({ type: 'text', id: 'long', text: 'twenty characters.. ' });
    const result = await stream.result('long');
    assert.equal(result.end.type, 'error');
    assert.equal((result.end as ErrorMessage).code, 'TEXT_TOO_LONG');
    stream.send({ type: 'end', id: 'other' });
    assertCompleted(await stream.result('other'));
  });

  it('an open input with no text for --input-idle-timeout: INPUT_TIMEOUT, and the connection serves on', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'idle', input: 'stream', text: 'Then nothing more comes' });
    const result = await stream.result('idle');
    assert.equal(result.end.type, 'error');
    assert.equal((result.end as ErrorMessage).code, 'INPUT_TIMEOUT');
    assertCompleted(await stream.speak('after', 'Still here.'));
  });
});

describe('streamed input: the wait for more text', () => {
  it('text with no sentence end is spoken after --input-max-delay-ms without flush or end', async (t) => {
    const quick = await startTestWorker({ 'input-max-delay-ms': '50' });
    t.after(() => quick.close());
    const stream = await connect(t, quick.wsUrl);
    stream.send({ type: 'start', id: 'd', input: 'stream', text: 'This clause has no end and it keeps going ' });
    await stream.waitFor(isAudioOf('d'));
    stream.send({ type: 'end', id: 'd' });
    assertCompleted(await stream.result('d'));
  });
});
