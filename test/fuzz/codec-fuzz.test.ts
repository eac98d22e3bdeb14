import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_ID_CHARS, decodeClientMessage, decodeServerMessage, encodeFrame, peekFrameId, peekFrameType, peekRequestId } from '../../src/protocol/codec.js';
import { CLIENT_FRAME_TYPES, INPUT_MODES, STREAM_FORMATS, type ClientMessage, type ServerMessage } from '../../src/protocol/messages.js';
import { fuzzParameters, mutated, packPairs, valueOrCodedError, type MapHeader } from '../helpers/fuzz.js';

const CLIENT_CODES = ['BAD_FRAME', 'BAD_MESSAGE', 'UNKNOWN_TYPE'] as const;
const SERVER_CODES = ['BAD_FRAME'] as const;

const id = fc.oneof(fc.constantFrom('a', 'req-1', ''), fc.string({ maxLength: 8 }), fc.constant('i'.repeat(MAX_ID_CHARS + 1)));
const text = fc.oneof(fc.constantFrom('Hello.', ''), fc.string({ unit: 'grapheme', maxLength: 40 }));

/** Valid frames of every kind, as encodeFrame writes them. */
const validClient: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record(
    { type: fc.constant('start' as const), id: fc.string({ minLength: 1, maxLength: 8 }), text, format: fc.constantFrom(...STREAM_FORMATS) },
    { requiredKeys: ['type', 'id', 'text'] },
  ),
  fc.record({ type: fc.constant('cancel' as const), id: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record(
    { type: fc.constant('start' as const), id: fc.string({ minLength: 1, maxLength: 8 }), input: fc.constantFrom(...INPUT_MODES), text },
    { requiredKeys: ['type', 'id', 'input'] },
  ) as fc.Arbitrary<ClientMessage>,
  fc.record({ type: fc.constant('text' as const), id: fc.string({ minLength: 1, maxLength: 8 }), text }),
  fc.record({ type: fc.constantFrom('flush' as const, 'end' as const), id: fc.string({ minLength: 1, maxLength: 8 }) }),
);
const validServer: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({ type: fc.constant('audio' as const), id: fc.string({ minLength: 1, maxLength: 8 }), seq: fc.nat(), pcm: fc.uint8Array({ maxLength: 32 }) }),
  fc.record({ type: fc.constant('done' as const), id: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({
    type: fc.constant('error' as const),
    id: fc.string({ maxLength: 8 }),
    code: fc.constantFrom('BAD_FRAME', 'NO_BACKEND'),
    message: fc.string({ maxLength: 20 }),
    retryable: fc.boolean(),
  }),
) as fc.Arbitrary<ServerMessage>;

/** Values a field may hold: the right ones, near misses, and other msgpack kinds. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('start', 'cancel', 'text', 'flush', 'end', 'stream', 'audio', 'done', 'error', 'ready', 'nope', 'Start', '', 's16le', 'f32le', 'BAD_FRAME'),
  id,
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 8 }),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.dictionary(fc.constantFrom('speed', 'seed', 'toString', '__proto__', 'constructor'), fc.oneof(fc.double(), fc.string({ maxLength: 2 })), { maxKeys: 3 }),
);
const fieldName = fc.constantFrom(
  'type',
  'id',
  'text',
  'voice',
  'language',
  'params',
  'format',
  'input',
  'seq',
  'pcm',
  'code',
  'message',
  'retryable',
  'sampleRate',
  'voices',
  'x',
  '__proto__',
  'toString',
  'constructor',
);

/** A map written key by key, in any order, with distinct keys, and any header size. */
const distinctKeyFrame = fc
  .tuple(fc.uniqueArray(fc.tuple(fieldName, fieldValue), { selector: ([key]) => key, maxLength: 8 }), fc.constantFrom<MapHeader>('fix', 'map16', 'map32'))
  .map(([pairs, header]) => packPairs(pairs, header));

/** A frame as a relay may meet it: random bytes, any msgpack map, a valid frame, or a mutation of either. */
const anyFrame = fc.oneof(
  fc.uint8Array({ maxLength: 128 }),
  distinctKeyFrame,
  validClient.map(encodeFrame),
  validServer.map(encodeFrame),
  mutated(validClient.map(encodeFrame)),
  mutated(validServer.map(encodeFrame)),
  mutated(distinctKeyFrame),
);

describe('fuzz: frame decoders', () => {
  it('decodeClientMessage gives a valid message of any type (start, cancel, text, flush, end) or BAD_FRAME / BAD_MESSAGE / UNKNOWN_TYPE for any input', () => {
    fc.assert(
      fc.property(anyFrame, (bytes) => {
        const message = valueOrCodedError(() => decodeClientMessage(bytes), CLIENT_CODES);
        if (message === undefined) return;
        assert.ok((CLIENT_FRAME_TYPES as readonly string[]).includes(message.type));
        assert.ok(typeof message.id === 'string' && message.id.length >= 1 && message.id.length <= MAX_ID_CHARS);
        if (message.type === 'text') assert.equal(typeof message.text, 'string');
        if (message.type === 'start') {
          assert.equal(typeof message.text, 'string');
          if (message.input !== undefined) assert.ok(INPUT_MODES.includes(message.input));
          if (message.format !== undefined) assert.ok(STREAM_FORMATS.includes(message.format));
          for (const value of Object.values(message.params ?? {})) assert.ok(Number.isFinite(value));
        }
      }),
      fuzzParameters(1500),
    );
  });

  it('decodeServerMessage gives a valid message or BAD_FRAME for any input', () => {
    fc.assert(
      fc.property(anyFrame, (bytes) => {
        const message = valueOrCodedError(() => decodeServerMessage(bytes), SERVER_CODES);
        if (message?.type === 'audio') assert.ok(typeof message.id === 'string' && typeof message.seq === 'number' && message.pcm instanceof Uint8Array);
      }),
      fuzzParameters(1000),
    );
  });

  it('the peeks never throw, and return a bounded string or undefined', () => {
    fc.assert(
      fc.property(anyFrame, (bytes) => {
        for (const peek of [peekFrameType, peekFrameId, peekRequestId]) {
          const value = peek(bytes);
          assert.ok(value === undefined || typeof value === 'string');
        }
      }),
      fuzzParameters(1000),
    );
  });
});

// Maps with duplicate keys are left out on purpose: msgpackr keeps the last `type` while the peek reads the first, so a
// start frame whose first `type` is something else escapes the balancer's tracking (issue 11, defect 8). The codec is
// to refuse duplicate keys; this property then holds for them too and the generator can include them.
describe('fuzz: the balancer peek agrees with the decoders (maps without duplicate keys)', () => {
  it('peekFrameType is the decoded type, or undefined, for every frame decodeClientMessage accepts', () => {
    fc.assert(
      fc.property(anyFrame, (bytes) => {
        const message = valueOrCodedError(() => decodeClientMessage(bytes), CLIENT_CODES);
        if (message === undefined) return;
        const peeked = peekFrameType(bytes);
        assert.ok(peeked === undefined || peeked === message.type, `peek '${peeked}' but decoded '${message.type}'`);
      }),
      fuzzParameters(1000),
    );
  });

  it('peekFrameType and peekFrameId match decodeServerMessage for every frame it accepts', () => {
    fc.assert(
      fc.property(anyFrame, (bytes) => {
        const message = valueOrCodedError(() => decodeServerMessage(bytes), SERVER_CODES);
        if (message === undefined) return;
        const peeked = peekFrameType(bytes);
        assert.ok(peeked === undefined || peeked === message.type, `peek '${peeked}' but decoded '${message.type}'`);
        const peekedId = peekFrameId(bytes);
        if (peekedId !== undefined) assert.equal(peekedId, (message as { id?: unknown }).id);
      }),
      fuzzParameters(1000),
    );
  });

  it('frames written by encodeFrame are always peeked (the relay never decodes audio it only forwards)', () => {
    fc.assert(
      fc.property(validServer, (message) => {
        const bytes = encodeFrame(message);
        assert.equal(peekFrameType(bytes), message.type);
        if (message.type === 'audio') assert.equal(peekFrameId(bytes), message.id);
      }),
      fuzzParameters(300),
    );
  });
});
