import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { EngineInfo } from '../../src/engine/engine.js';
import { resolveRequest } from '../../src/engine/resolve-request.js';
import { AUDIO_FORMATS } from '../../src/protocol/messages.js';
import { parseTtsBody } from '../../src/server/tts-body.js';
import { fuzzParameters, mutated, valueOrCodedError } from '../helpers/fuzz.js';

const INFO: EngineInfo = {
  name: 'fuzz',
  sampleRateHz: 24000,
  voices: ['default', 'other'],
  defaultVoice: 'default',
  languages: ['en', 'fr'],
  defaultLanguage: 'en',
  params: { speed: { min: 0.5, max: 2, default: 1 }, seed: { min: 0, max: 1000, default: 0, integer: true } },
  device: 'cpu',
  details: {},
} as EngineInfo;

const field = fc.oneof(
  fc.constantFrom('Hello.', '', '   ', 'default', 'other', 'en', 'EN', 'xx', 's16le', 'f32le', 'wav'),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 2 }), { maxLength: 2 }),
  fc.dictionary(
    fc.constantFrom('speed', 'seed', 'pitch', 'toString', 'constructor', 'hasOwnProperty', '__proto__'),
    fc.oneof(fc.double(), fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 2 })),
    { maxKeys: 3 },
  ),
);
const bodyObject = fc.dictionary(fc.constantFrom('text', 'voice', 'language', 'params', 'format', 'extra', '__proto__'), field, { maxKeys: 6 });
const validBody = fc
  .record(
    {
      text: fc.string({ minLength: 1, maxLength: 30 }),
      voice: fc.constantFrom('default', 'other'),
      params: fc.dictionary(
        fc.constantFrom('speed', 'seed', 'pitch', 'toString', 'constructor', 'valueOf'),
        fc.oneof(fc.double({ min: 0.5, max: 2, noNaN: true }), fc.nat(2000)),
        { maxKeys: 2 },
      ),
    },
    { requiredKeys: ['text'] },
  )
  .map((body) => new TextEncoder().encode(JSON.stringify(body)));
const body = fc.oneof(
  bodyObject.map((o) => new TextEncoder().encode(JSON.stringify(o))),
  fc.json().map((json) => new TextEncoder().encode(json)),
  fc.uint8Array({ maxLength: 64 }),
  validBody,
  mutated(validBody),
);
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', '', 'text/plain', ';', 'application/json;;'),
  fc.string({ maxLength: 20 }),
);
const query = fc.oneof(fc.constantFrom('', 'format=wav', 'format=pcm', 'format=mp3', 'format=wav&format=pcm', '%zz', 'format'), fc.string({ maxLength: 16 }));

describe('fuzz: POST /v1/tts body', () => {
  it('parseTtsBody then resolveRequest give a valid request or one coded error, for any body, content type and query', () => {
    fc.assert(
      fc.property(body, contentType, query, (bytes, type, q) => {
        const parsed = valueOrCodedError(() => parseTtsBody(bytes, type, q), ['UNSUPPORTED_MEDIA_TYPE', 'BAD_JSON', 'BAD_MESSAGE']);
        if (parsed === undefined) return;
        assert.equal(typeof parsed.text, 'string');
        assert.ok(parsed.container === 'wav' || parsed.container === 'pcm');
        assert.ok(AUDIO_FORMATS.includes(parsed.format));
        const request = valueOrCodedError(
          () => resolveRequest(parsed, INFO, 20),
          ['TEXT_EMPTY', 'TEXT_TOO_LONG', 'UNKNOWN_VOICE', 'UNKNOWN_LANGUAGE', 'BAD_PARAM'],
        );
        if (request === undefined) return;
        assert.ok(INFO.voices.includes(request.voice) && INFO.languages.includes(request.language));
        assert.deepEqual(Object.keys(request.params).sort(), Object.keys(INFO.params).sort(), 'only the engine’s own params');
        for (const [name, value] of Object.entries(request.params)) {
          const spec = INFO.params[name]!;
          assert.ok(value >= spec.min && value <= spec.max, `${name}=${value}`);
        }
      }),
      fuzzParameters(2000),
    );
  });
});
