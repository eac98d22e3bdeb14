import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_ID_CHARS, decodeClientMessage, decodeServerMessage, encodeFrame, peekFrameId, peekFrameType, peekRequestId } from '../../src/protocol/codec.js';
import { TtsError, type ErrorCode } from '../../src/protocol/errors.js';
import { AUDIO_FORMATS, type ClientMessage, type ServerMessage, type StartMessage } from '../../src/protocol/messages.js';
import { packEntries } from '../helpers/msgpack-map.js';
import { packFrame } from '../helpers/raw-stream.js';

/** msgpack hands binary back as a Buffer; compare bytes, not prototypes. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function rejects(bytes: Uint8Array, code: ErrorCode, message?: RegExp): void {
  assert.throws(
    () => decodeClientMessage(bytes),
    (err: unknown) => {
      assert.ok(err instanceof TtsError, `expected a TtsError, got ${String(err)}`);
      assert.equal(err.code, code);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe('client frames round-trip', () => {
  const messages: Array<{ name: string; message: ClientMessage }> = [
    { name: 'minimal start', message: { type: 'start', id: 'a', text: 'Hello.' } },
    {
      name: 'start with every field',
      message: { type: 'start', id: 'req-1', text: 'Héllo wörld 😀', voice: 'rms', language: 'fr', params: { speed: 1.25, seed: 42 }, format: 'f32le' },
    },
    { name: 'start with empty params', message: { type: 'start', id: 'x', text: '', params: {} } },
    { name: `id of ${MAX_ID_CHARS} characters`, message: { type: 'start', id: 'i'.repeat(MAX_ID_CHARS), text: 't' } },
    { name: 'cancel', message: { type: 'cancel', id: 'req-1' } },
    { name: 'streamed start', message: { type: 'start', id: 's', text: 'First words', input: 'stream', voice: 'rms' } },
    { name: 'text', message: { type: 'text', id: 's', text: ' more words.' } },
    { name: 'empty text', message: { type: 'text', id: 's', text: '' } },
    { name: 'flush', message: { type: 'flush', id: 's' } },
    { name: 'end', message: { type: 'end', id: 's' } },
  ];
  for (const { name, message } of messages) {
    it(name, () => {
      assert.deepEqual(decodeClientMessage(encodeFrame(message)), message);
    });
  }

  it('a streamed start may omit its text, which reads as empty', () => {
    assert.deepEqual(decodeClientMessage(packFrame({ type: 'start', id: 'a', input: 'stream' })), { type: 'start', id: 'a', text: '', input: 'stream' });
  });

  it('drops fields the protocol does not define', () => {
    assert.deepEqual(decodeClientMessage(packFrame({ type: 'cancel', id: 'a', extra: [1, 2] })), { type: 'cancel', id: 'a' });
  });
});

describe('server frames round-trip', () => {
  const messages: Array<{ name: string; message: ServerMessage }> = [
    {
      name: 'ready',
      message: {
        type: 'ready',
        protocol: 1,
        engine: 'flite',
        sampleRate: 16000,
        voices: ['slt', 'rms'],
        defaultVoice: 'slt',
        languages: ['en'],
        defaultLanguage: 'en',
        params: { speed: { min: 0.5, max: 2, default: 1 } },
        limits: { maxTextChars: 5000, maxRequestsPerConnection: 4, maxFrameBytes: 65536 },
      },
    },
    { name: 'audio', message: { type: 'audio', id: 'a', seq: 3, pcm: new Uint8Array([1, 2, 255, 0]), samples: 2 } },
    {
      name: 'done',
      message: { type: 'done', id: 'a', chunks: 4, samples: 100, cancelled: false, metrics: { ttfaMs: 12.5, rtf: 0.02, totalMs: 40, audioMs: 2000 } },
    },
    { name: 'error with id', message: { type: 'error', id: 'a', code: 'UNKNOWN_VOICE', message: 'no such voice', retryable: false } },
    { name: 'error without id', message: { type: 'error', code: 'BAD_FRAME', message: 'not msgpack', retryable: false } },
  ];
  for (const { name, message } of messages) {
    it(name, () => {
      assert.deepEqual(plain(decodeServerMessage(encodeFrame(message))), plain(message));
    });
  }

  it('keeps audio bytes as a Uint8Array', () => {
    const frame = decodeServerMessage(encodeFrame({ type: 'audio', id: 'a', seq: 0, pcm: new Uint8Array([9, 8, 7]), samples: 1 }));
    assert.equal(frame.type, 'audio');
    assert.ok(frame.type === 'audio' && frame.pcm instanceof Uint8Array);
  });

  const malformed: Array<{ name: string; value: unknown }> = [
    { name: 'unknown type', value: { type: 'start', id: 'a', text: 'x' } },
    { name: 'audio without pcm', value: { type: 'audio', id: 'a', seq: 0 } },
    { name: 'ready without voices', value: { type: 'ready', sampleRate: 16000 } },
    { name: 'error without code', value: { type: 'error', message: 'x' } },
    { name: 'a non-map', value: [1, 2, 3] },
  ];
  for (const { name, value } of malformed) {
    it(`rejects ${name} with BAD_FRAME`, () => {
      assert.throws(
        () => decodeServerMessage(packFrame(value)),
        (err: unknown) => err instanceof TtsError && err.code === 'BAD_FRAME',
      );
    });
  }
});

describe('decodeClientMessage rejects', () => {
  const cases: Array<{ name: string; bytes: Uint8Array; code: ErrorCode; message?: RegExp }> = [
    { name: 'empty bytes', bytes: new Uint8Array(0), code: 'BAD_FRAME' },
    // msgpackr decodes the reserved byte 0xc1 to an object of its own; it is still not a map.
    { name: 'the byte msgpack reserves as never used', bytes: new Uint8Array([0xc1]), code: 'BAD_FRAME' },
    { name: 'an unknown extension', bytes: new Uint8Array([0xd4, 0x05, 0x00]), code: 'BAD_FRAME' },
    { name: 'a timestamp', bytes: packFrame(new Date(0)), code: 'BAD_FRAME', message: /must be a msgpack map/ },
    { name: 'a truncated map', bytes: packFrame({ type: 'start', id: 'a', text: 'hello' }).subarray(0, 10), code: 'BAD_FRAME' },
    { name: 'two values in one frame', bytes: new Uint8Array([0x80, 0x80]), code: 'BAD_FRAME' },
    { name: 'JSON text', bytes: new TextEncoder().encode('{"type":"start","id":"a","text":"hi"}'), code: 'BAD_FRAME' },
    // Regression (issue 11): the last `type` ran on the worker while the balancer's peek read the first.
    {
      name: 'a repeated type key',
      bytes: packEntries([
        ['type', 'nope'],
        ['id', 'a'],
        ['text', 'hi'],
        ['type', 'start'],
      ]),
      code: 'BAD_FRAME',
      message: /repeats a key/,
    },
    {
      name: 'a repeated id key',
      bytes: packEntries([
        ['type', 'start'],
        ['id', 'a'],
        ['text', 'hi'],
        ['id', 'b'],
      ]),
      code: 'BAD_FRAME',
      message: /repeats a key/,
    },
    { name: 'a number', bytes: packFrame(42), code: 'BAD_FRAME', message: /must be a msgpack map/ },
    { name: 'a string', bytes: packFrame('start'), code: 'BAD_FRAME', message: /must be a msgpack map/ },
    { name: 'an array', bytes: packFrame([{ type: 'start' }]), code: 'BAD_FRAME', message: /must be a msgpack map/ },
    { name: 'nil', bytes: packFrame(null), code: 'BAD_FRAME', message: /must be a msgpack map/ },
    { name: 'binary', bytes: packFrame(new Uint8Array([1, 2])), code: 'BAD_FRAME', message: /must be a msgpack map/ },
    { name: 'an unknown type', bytes: packFrame({ type: 'speak', id: 'a' }), code: 'UNKNOWN_TYPE', message: /speak/ },
    { name: 'a numeric type', bytes: packFrame({ type: 7, id: 'a' }), code: 'UNKNOWN_TYPE' },
    { name: 'a map as type', bytes: packFrame({ type: { a: 1 } }), code: 'UNKNOWN_TYPE' },
    // Regression: String() of this map threw a TypeError, which the server reported as INTERNAL.
    { name: 'a map as type that cannot become a string', bytes: packFrame({ type: { toString: 1, valueOf: 2 } }), code: 'UNKNOWN_TYPE' },
    { name: 'no type', bytes: packFrame({ id: 'a', text: 'x' }), code: 'BAD_MESSAGE', message: /no 'type'/ },
    { name: 'start without id', bytes: packFrame({ type: 'start', text: 'x' }), code: 'BAD_MESSAGE', message: /'id'/ },
    { name: 'start with a numeric language', bytes: packFrame({ type: 'start', id: 'a', text: 'x', language: 7 }), code: 'BAD_MESSAGE', message: /'language'/ },
    { name: 'start with an empty language', bytes: packFrame({ type: 'start', id: 'a', text: 'x', language: '' }), code: 'BAD_MESSAGE', message: /'language'/ },
    { name: 'start with an empty id', bytes: packFrame({ type: 'start', id: '', text: 'x' }), code: 'BAD_MESSAGE', message: /'id'/ },
    { name: 'start with a numeric id', bytes: packFrame({ type: 'start', id: 1, text: 'x' }), code: 'BAD_MESSAGE', message: /'id'/ },
    {
      name: 'an id one character too long',
      bytes: packFrame({ type: 'start', id: 'i'.repeat(MAX_ID_CHARS + 1), text: 'x' }),
      code: 'BAD_MESSAGE',
      message: /'id'/,
    },
    { name: 'start without text', bytes: packFrame({ type: 'start', id: 'a' }), code: 'BAD_MESSAGE', message: /'text'/ },
    { name: 'start with numeric text', bytes: packFrame({ type: 'start', id: 'a', text: 5 }), code: 'BAD_MESSAGE', message: /'text'/ },
    { name: 'start with binary text', bytes: packFrame({ type: 'start', id: 'a', text: new Uint8Array([104, 105]) }), code: 'BAD_MESSAGE', message: /'text'/ },
    { name: 'a numeric voice', bytes: packFrame({ type: 'start', id: 'a', text: 'x', voice: 3 }), code: 'BAD_MESSAGE', message: /'voice'/ },
    { name: 'params as an array', bytes: packFrame({ type: 'start', id: 'a', text: 'x', params: [1] }), code: 'BAD_MESSAGE', message: /'params'/ },
    { name: 'params as a number', bytes: packFrame({ type: 'start', id: 'a', text: 'x', params: 1 }), code: 'BAD_MESSAGE', message: /'params'/ },
    { name: 'a string param', bytes: packFrame({ type: 'start', id: 'a', text: 'x', params: { speed: 'fast' } }), code: 'BAD_MESSAGE', message: /speed/ },
    { name: 'an infinite param', bytes: packFrame({ type: 'start', id: 'a', text: 'x', params: { speed: Infinity } }), code: 'BAD_MESSAGE', message: /speed/ },
    { name: 'a NaN param', bytes: packFrame({ type: 'start', id: 'a', text: 'x', params: { speed: NaN } }), code: 'BAD_MESSAGE', message: /speed/ },
    { name: 'an unknown format', bytes: packFrame({ type: 'start', id: 'a', text: 'x', format: 'mp3' }), code: 'BAD_MESSAGE', message: /'format'/ },
    { name: 'cancel without id', bytes: packFrame({ type: 'cancel' }), code: 'BAD_MESSAGE', message: /'id'/ },
    { name: 'an unknown input mode', bytes: packFrame({ type: 'start', id: 'a', input: 'words' }), code: 'BAD_MESSAGE', message: /'input'/ },
    {
      name: 'a streamed start with numeric text',
      bytes: packFrame({ type: 'start', id: 'a', input: 'stream', text: 1 }),
      code: 'BAD_MESSAGE',
      message: /'text'/,
    },
    { name: 'text without text', bytes: packFrame({ type: 'text', id: 'a' }), code: 'BAD_MESSAGE', message: /'text'/ },
    { name: 'text with binary text', bytes: packFrame({ type: 'text', id: 'a', text: new Uint8Array([104]) }), code: 'BAD_MESSAGE', message: /'text'/ },
    { name: 'text without id', bytes: packFrame({ type: 'text', text: 'hi' }), code: 'BAD_MESSAGE', message: /'id'/ },
    { name: 'flush with a numeric id', bytes: packFrame({ type: 'flush', id: 3 }), code: 'BAD_MESSAGE', message: /'id'/ },
    { name: 'end without id', bytes: packFrame({ type: 'end' }), code: 'BAD_MESSAGE', message: /'id'/ },
  ];
  for (const { name, bytes, code, message } of cases) {
    it(`${name} with ${code}`, () => rejects(bytes, code, message));
  }
});

describe('peekRequestId', () => {
  it('names the request of a frame that fails validation', () => {
    assert.equal(peekRequestId(packFrame({ type: 'start', id: 'r7', text: 5 })), 'r7');
  });
  it('names nothing for unreadable bytes or a bad id', () => {
    assert.equal(peekRequestId(new Uint8Array([0xc1])), undefined);
    assert.equal(peekRequestId(packFrame({ id: 5 })), undefined);
    assert.equal(peekRequestId(packFrame({ id: 'i'.repeat(MAX_ID_CHARS + 1) })), undefined);
    assert.equal(peekRequestId(packFrame(null)), undefined);
  });
});

/** Keys a decoder looks at or that are traps for plain objects, so generated maps hit the validation paths. */
const interestingKey = fc.constantFrom('type', 'id', 'text', 'voice', 'params', 'format', 'speed', 'toString', 'valueOf', '__proto__', 'constructor');
const msgpackValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('start', 'cancel', 'audio', 's16le', 'f32le', ''),
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(interestingKey, fc.string({ maxLength: 4 })), tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('decodeClientMessage properties', () => {
  const onlyTtsErrors = (bytes: Uint8Array) => {
    try {
      decodeClientMessage(bytes);
    } catch (err) {
      if (!(err instanceof TtsError)) throw new Error(`threw ${String(err)} rather than a TtsError`);
      if (!['BAD_FRAME', 'BAD_MESSAGE', 'UNKNOWN_TYPE'].includes(err.code)) throw new Error(`unexpected code ${err.code}`);
    }
  };

  it('random bytes never throw anything but a TtsError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), onlyTtsErrors), { numRuns: 3000 });
  });

  it('random msgpack values (maps with the keys it reads) never throw anything but a TtsError', () => {
    fc.assert(
      fc.property(fc.oneof(msgpackValue, fc.dictionary(interestingKey, msgpackValue, { maxKeys: 6 })), (value) => onlyTtsErrors(packFrame(value))),
      { numRuns: 3000 },
    );
  });

  // -0 travels as the integer 0 in msgpack; every other finite number survives exactly.
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n));
  const validStart: fc.Arbitrary<StartMessage> = fc.record(
    {
      type: fc.constant('start' as const),
      id: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((id) => id.length <= MAX_ID_CHARS),
      text: fc.string({ unit: 'grapheme', maxLength: 200 }),
      voice: fc.string({ unit: 'grapheme', maxLength: 20 }),
      // msgpackr renames a '__proto__' key on decode (a guard against prototype pollution); no engine has such a param.
      params: fc.dictionary(
        fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__'),
        finite,
        { maxKeys: 4, noNullPrototype: true },
      ),
      format: fc.constantFrom(...AUDIO_FORMATS),
    },
    { requiredKeys: ['type', 'id', 'text'], noNullPrototype: true },
  );

  it('any valid start message round-trips', () => {
    fc.assert(
      fc.property(validStart, (message) => {
        assert.deepEqual(decodeClientMessage(encodeFrame(message)), message);
      }),
      { numRuns: 1000 },
    );
  });

  it('any valid cancel message round-trips', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (id) => {
        fc.pre(id.length <= MAX_ID_CHARS);
        assert.deepEqual(decodeClientMessage(encodeFrame({ type: 'cancel', id })), { type: 'cancel', id });
      }),
    );
  });
});

describe('peekFrameType and peekFrameId', () => {
  it('read type and id off the leading keys as encodeFrame writes them', () => {
    const frame = encodeFrame({ type: 'audio', id: 'req-7', seq: 0, pcm: new Uint8Array(4), samples: 2 });
    assert.equal(peekFrameType(frame), 'audio');
    assert.equal(peekFrameId(frame), 'req-7');
    const long = 'x'.repeat(100);
    assert.equal(
      peekFrameId(encodeFrame({ type: 'done', id: long, chunks: 0, samples: 0, cancelled: false, metrics: { ttfaMs: 0, rtf: 0, totalMs: 0, audioMs: 0 } })),
      long,
    );
  });

  it('say nothing rather than guess when the layout differs', () => {
    assert.equal(peekFrameType(new Uint8Array([0x01, 0x02])), undefined);
    assert.equal(peekFrameType(new Uint8Array(0)), undefined);
    const reordered = encodeFrame({ id: 'a', type: 'audio' } as never);
    assert.equal(peekFrameType(reordered), undefined);
    assert.equal(peekFrameId(reordered), undefined);
    assert.equal(peekFrameId(encodeFrame({ type: 'ready', protocol: 1 } as never)), undefined);
    assert.equal(peekFrameId(new Uint8Array([0x82, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xa5, 0x61])), undefined, 'truncated');
  });
});
