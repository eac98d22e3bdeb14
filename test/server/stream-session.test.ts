import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ERROR_CODES, type ErrorCode } from '../../src/protocol/errors.js';
import type { ErrorMessage } from '../../src/protocol/messages.js';
import { httpRequest, jsonOf } from '../helpers/http.js';
import { openRawStreamFor } from '../helpers/per-test.js';
import { RawStream, assertCompleted, packFrame, type RequestResult } from '../helpers/raw-stream.js';
import { startTestWorker, type TestWorker } from '../helpers/worker.js';

// Every bad frame gets its exact error code, and the same connection then still serves a request.
// One worker for the whole file, with small limits so each one is easy to cross.
const MAX_TEXT_CHARS = 200;
const MAX_FRAME_BYTES = 4096;
/** A text that takes the engine many sentences (and so many engine-thread round trips) to speak. */
const LONG_TEXT = 'One more sentence here. '.repeat(8).trim();

let worker: TestWorker;
before(async () => {
  worker = await startTestWorker({
    'max-text-chars': String(MAX_TEXT_CHARS),
    'max-frame-bytes': String(MAX_FRAME_BYTES),
    'max-requests-per-connection': '1',
  });
});
after(() => worker.close());

function connect(t: TestContext): Promise<RawStream> {
  return openRawStreamFor(t, worker.wsUrl);
}

function assertError(frame: ErrorMessage, code: ErrorCode, id?: string): void {
  assert.equal(frame.type, 'error');
  assert.equal(frame.code, code, frame.message);
  assert.equal(frame.id, id);
  assert.equal(frame.retryable, ERROR_CODES[code].retryable);
  assert.ok(frame.message.length > 0);
}

function assertSpoke(result: RequestResult): void {
  const done = assertCompleted(result);
  assert.ok(result.audio.length > 0, 'no audio');
  assert.equal(done.cancelled, false);
}

/** The same connection still serves a valid request after the bad one. */
async function assertStillServes(stream: RawStream, id = 'after'): Promise<void> {
  assertSpoke(await stream.speak(id, 'Still here.'));
  assert.equal(stream.ws.readyState, stream.ws.OPEN);
}

/** Sends a frame the worker must refuse and returns the next error frame, whichever request it names. */
async function refuse(stream: RawStream, frame: Uint8Array | string): Promise<ErrorMessage> {
  const from = stream.frames.length;
  stream.sendRaw(frame);
  return stream.waitFor((f): f is ErrorMessage => f.type === 'error', from);
}

describe('a bad frame gets a coded error and the connection keeps serving', () => {
  it('non-msgpack bytes: BAD_FRAME', async (t) => {
    const stream = await connect(t);
    assertError(await refuse(stream, new Uint8Array([0xc1, 0xff, 0x00, 0x13])), 'BAD_FRAME');
    await assertStillServes(stream);
  });

  it('a text (non-binary) frame: BAD_FRAME', async (t) => {
    const stream = await connect(t);
    const error = await refuse(stream, JSON.stringify({ type: 'start', id: 'json', text: 'Hello.' }));
    assertError(error, 'BAD_FRAME');
    assert.match(error.message, /binary/);
    await assertStillServes(stream);
  });

  it('a msgpack value that is not a map: BAD_FRAME', async (t) => {
    const stream = await connect(t);
    assertError(await refuse(stream, packFrame(['start', 'a', 'Hello.'])), 'BAD_FRAME');
    await assertStillServes(stream);
  });

  it('an unknown type: UNKNOWN_TYPE, naming the request', async (t) => {
    const stream = await connect(t);
    assertError(await refuse(stream, packFrame({ type: 'speak', id: 'u1', text: 'Hello.' })), 'UNKNOWN_TYPE', 'u1');
    await assertStillServes(stream);
  });

  const badMessages: Array<{ name: string; frame: Record<string, unknown>; id?: string }> = [
    { name: 'a start without text', frame: { type: 'start', id: 'm1' }, id: 'm1' },
    { name: 'a start without id', frame: { type: 'start', text: 'Hello.' } },
    { name: 'a numeric id', frame: { type: 'start', id: 42, text: 'Hello.' } },
    { name: 'an id over 128 characters', frame: { type: 'start', id: 'i'.repeat(129), text: 'Hello.' } },
    { name: 'numeric text', frame: { type: 'start', id: 'm2', text: 12 }, id: 'm2' },
    { name: 'a numeric voice', frame: { type: 'start', id: 'm3', text: 'Hello.', voice: 1 }, id: 'm3' },
    { name: 'params that are not a map', frame: { type: 'start', id: 'm4', text: 'Hello.', params: 'fast' }, id: 'm4' },
    { name: 'a string param', frame: { type: 'start', id: 'm5', text: 'Hello.', params: { speed: 'fast' } }, id: 'm5' },
    { name: 'an unknown format', frame: { type: 'start', id: 'm6', text: 'Hello.', format: 'mp3' }, id: 'm6' },
    { name: 'a frame without type', frame: { id: 'm7', text: 'Hello.' }, id: 'm7' },
  ];
  for (const { name, frame, id } of badMessages) {
    it(`${name}: BAD_MESSAGE`, async (t) => {
      const stream = await connect(t);
      assertError(await refuse(stream, packFrame(frame)), 'BAD_MESSAGE', id);
      await assertStillServes(stream);
    });
  }

  it('empty text: TEXT_EMPTY', async (t) => {
    const stream = await connect(t);
    assertError(await refuse(stream, packFrame({ type: 'start', id: 'e1', text: ' \n\t ' })), 'TEXT_EMPTY', 'e1');
    await assertStillServes(stream);
  });

  it('text over the limit: TEXT_TOO_LONG', async (t) => {
    const stream = await connect(t);
    assert.equal(stream.ready.limits.maxTextChars, MAX_TEXT_CHARS);
    const error = await refuse(stream, packFrame({ type: 'start', id: 'l1', text: 'a'.repeat(MAX_TEXT_CHARS + 1) }));
    assertError(error, 'TEXT_TOO_LONG', 'l1');
    assert.match(error.message, new RegExp(`${MAX_TEXT_CHARS + 1} characters; the limit is ${MAX_TEXT_CHARS}`));
    await assertStillServes(stream);
  });

  it('an unknown voice: UNKNOWN_VOICE', async (t) => {
    const stream = await connect(t);
    assertError(await refuse(stream, packFrame({ type: 'start', id: 'v1', text: 'Hello.', voice: 'hal9000' })), 'UNKNOWN_VOICE', 'v1');
    await assertStillServes(stream);
  });

  it('a language the engine does not speak: UNKNOWN_LANGUAGE; its own language is accepted', async (t) => {
    const stream = await connect(t);
    const ready = stream.first as { languages?: string[]; defaultLanguage?: string };
    assert.deepEqual(ready.languages, ['en']);
    assert.equal(ready.defaultLanguage, 'en');
    assertError(await refuse(stream, packFrame({ type: 'start', id: 'l1', text: 'Bonjour.', language: 'fr' })), 'UNKNOWN_LANGUAGE', 'l1');
    const spoken = await stream.speak('l2', 'Hello.', { language: 'EN' });
    assert.equal(spoken.end.type, 'done');
    await assertStillServes(stream);
  });

  it('a param out of range: BAD_PARAM', async (t) => {
    const stream = await connect(t);
    assertError(await refuse(stream, packFrame({ type: 'start', id: 'p1', text: 'Hello.', params: { speed: 4.5 } })), 'BAD_PARAM', 'p1');
    await assertStillServes(stream);
  });

  it('an unknown param: BAD_PARAM', async (t) => {
    const stream = await connect(t);
    assertError(await refuse(stream, packFrame({ type: 'start', id: 'p2', text: 'Hello.', params: { temperature: 0.7 } })), 'BAD_PARAM', 'p2');
    await assertStillServes(stream);
  });

  it('a frame over the size limit: FRAME_TOO_LARGE, and the connection survives', async (t) => {
    const stream = await connect(t);
    assert.equal(stream.ready.limits.maxFrameBytes, MAX_FRAME_BYTES);
    const frame = packFrame({ type: 'start', id: 'big', text: 'a'.repeat(MAX_FRAME_BYTES) });
    assert.ok(frame.byteLength > MAX_FRAME_BYTES);
    assertError(await refuse(stream, frame), 'FRAME_TOO_LARGE', 'big');
    await assertStillServes(stream);
  });

  it('a frame far beyond the size limit closes that connection with 1009, and only that one', async (t) => {
    const stream = await connect(t);
    const bystander = await connect(t);
    stream.sendRaw(new Uint8Array(MAX_FRAME_BYTES * 64));
    // uWS cuts the socket (1006 at the client) rather than sending a close frame.
    assert.ok([1006, 1009].includes((await stream.closed).code));
    await assertStillServes(bystander);
  });
});

describe('requests in flight on one connection', () => {
  it('a duplicate id in flight: DUPLICATE_ID, and the first request still completes', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'd1', text: LONG_TEXT });
    const error = await refuse(stream, packFrame({ type: 'start', id: 'd1', text: 'Other words.' }));
    // The error names no request: naming d1 would end the first request in the client's eyes.
    assertError(error, 'DUPLICATE_ID');
    const first = await stream.result('d1');
    assertSpoke(first);
    assert.ok(first.end.type === 'done' && first.end.metrics.audioMs > 5000, 'the audio is the first, long text');
    await assertStillServes(stream);
  });

  it('one request over the per-connection limit: TOO_MANY_REQUESTS (retryable), and the first completes', async (t) => {
    const stream = await connect(t);
    assert.equal(stream.ready.limits.maxRequestsPerConnection, 1);
    stream.send({ type: 'start', id: 'a', text: LONG_TEXT });
    assertError(await refuse(stream, packFrame({ type: 'start', id: 'b', text: 'Hello.' })), 'TOO_MANY_REQUESTS', 'b');
    assertSpoke(await stream.result('a'));
    await assertStillServes(stream);
  });

  it('regression: a malformed frame reusing an in-flight id does not end that request', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'start', id: 'live', text: LONG_TEXT });
    const error = await refuse(stream, packFrame({ type: 'start', id: 'live', text: 7 }));
    assertError(error, 'BAD_MESSAGE');
    const result = await stream.result('live');
    assertSpoke(result);
    assert.equal(stream.frames.filter((f) => f.type === 'error' && f.id === 'live').length, 0);
  });

  it('a cancel for an unknown id is ignored', async (t) => {
    const stream = await connect(t);
    stream.send({ type: 'cancel', id: 'nobody' });
    await assertStillServes(stream);
    assert.deepEqual(
      stream.frames.filter((f) => f.type === 'error'),
      [],
    );
  });
});

describe('nothing crashes the worker', () => {
  it('still serves a new connection and reports healthy after every bad input above', async (t) => {
    const stream = await connect(t);
    assertSpoke(await stream.speak('final', 'The worker is still up.'));
    const health = jsonOf<{ status: string; sessions: number }>(await httpRequest(`${worker.httpUrl}/health`));
    assert.equal(health.status, 'ok');
    assert.ok(health.sessions >= 1);
  });
});
