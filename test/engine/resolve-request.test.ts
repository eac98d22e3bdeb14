import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineInfo } from '../../src/engine/engine.js';
import { resolveRequest, type RequestedSynthesis } from '../../src/engine/resolve-request.js';
import { TtsError, type ErrorCode } from '../../src/protocol/errors.js';

const INFO: EngineInfo = {
  name: 'test',
  sampleRateHz: 16000,
  voices: ['slt', 'rms'],
  defaultVoice: 'slt',
  languages: ['en', 'fr'],
  defaultLanguage: 'en',
  params: {
    speed: { min: 0.5, max: 2, default: 1 },
    seed: { min: 0, max: 100, default: 7, integer: true },
  },
  device: 'cpu',
  details: {},
};
const MAX_CHARS = 10;

describe('resolveRequest', () => {
  it('fills in the default voice and every default param', () => {
    assert.deepEqual(resolveRequest({ text: 'Hello.' }, INFO, MAX_CHARS), { text: 'Hello.', voice: 'slt', language: 'en', params: { speed: 1, seed: 7 } });
  });

  it('keeps what was asked and defaults the rest', () => {
    assert.deepEqual(resolveRequest({ text: ' Hi ', voice: 'rms', params: { seed: 3 } }, INFO, MAX_CHARS), {
      text: 'Hi',
      voice: 'rms',
      language: 'en',
      params: { speed: 1, seed: 3 },
    });
  });

  it('defaults the language and accepts a known one in any case', () => {
    assert.equal(resolveRequest({ text: 'a' }, INFO, MAX_CHARS).language, 'en');
    assert.equal(resolveRequest({ text: 'a', language: 'FR' }, INFO, MAX_CHARS).language, 'fr');
  });

  it('accepts both ends of a range', () => {
    assert.deepEqual(resolveRequest({ text: 'a', params: { speed: 0.5, seed: 100 } }, INFO, MAX_CHARS).params, { speed: 0.5, seed: 100 });
    assert.deepEqual(resolveRequest({ text: 'a', params: { speed: 2, seed: 0 } }, INFO, MAX_CHARS).params, { speed: 2, seed: 0 });
  });

  it('counts the limit in code points, not UTF-16 units', () => {
    const tenEmoji = '😀'.repeat(MAX_CHARS);
    assert.equal(tenEmoji.length, 2 * MAX_CHARS);
    assert.equal(resolveRequest({ text: tenEmoji }, INFO, MAX_CHARS).text, tenEmoji);
    assert.equal(resolveRequest({ text: 'x'.repeat(MAX_CHARS) }, INFO, MAX_CHARS).text.length, MAX_CHARS);
  });

  const rejected: Array<{ name: string; asked: RequestedSynthesis; code: ErrorCode; message?: RegExp }> = [
    { name: 'empty text', asked: { text: '' }, code: 'TEXT_EMPTY' },
    { name: 'whitespace-only text', asked: { text: ' \n\t\u00a0\u2003 ' }, code: 'TEXT_EMPTY' },
    { name: 'text one character over', asked: { text: 'x'.repeat(MAX_CHARS + 1) }, code: 'TEXT_TOO_LONG', message: /11 characters; the limit is 10/ },
    { name: 'emoji one code point over', asked: { text: '😀'.repeat(MAX_CHARS + 1) }, code: 'TEXT_TOO_LONG', message: /11 characters/ },
    { name: 'an unknown voice', asked: { text: 'a', voice: 'nobody' }, code: 'UNKNOWN_VOICE', message: /nobody.*slt, rms/ },
    { name: 'a voice differing in case', asked: { text: 'a', voice: 'SLT' }, code: 'UNKNOWN_VOICE' },
    { name: 'a language the engine does not speak', asked: { text: 'a', language: 'de' }, code: 'UNKNOWN_LANGUAGE', message: /'de'.*en, fr/ },
    { name: 'an unknown param', asked: { text: 'a', params: { temperature: 0.5 } }, code: 'BAD_PARAM', message: /temperature.*speed, seed/ },
    { name: 'a param below its range', asked: { text: 'a', params: { speed: 0.49 } }, code: 'BAD_PARAM', message: /speed.*0.5..2/ },
    { name: 'a param above its range', asked: { text: 'a', params: { speed: 2.01 } }, code: 'BAD_PARAM', message: /speed/ },
    { name: 'a fraction for an integer param', asked: { text: 'a', params: { seed: 1.5 } }, code: 'BAD_PARAM', message: /seed' must be an integer/ },
    { name: 'a negative integer param', asked: { text: 'a', params: { seed: -1 } }, code: 'BAD_PARAM', message: /seed/ },
    // Found by the fuzzer: the lookup found Object.prototype's methods, so these passed unchecked into the engine.
    {
      name: "regression: a param named after an Object method ('toString')",
      asked: { text: 'a', params: { toString: 0 } },
      code: 'BAD_PARAM',
      message: /unknown param 'toString'/,
    },
    { name: "regression: a param named 'constructor'", asked: { text: 'a', params: { constructor: 1 } }, code: 'BAD_PARAM', message: /unknown param/ },
  ];
  for (const { name, asked, code, message } of rejected) {
    it(`rejects ${name} with ${code}`, () => {
      assert.throws(
        () => resolveRequest(asked, INFO, MAX_CHARS),
        (err: unknown) => err instanceof TtsError && err.code === code && (message === undefined || message.test(err.message)),
      );
    });
  }

  it('checks the text before the voice and params', () => {
    assert.throws(() => resolveRequest({ text: ' ', voice: 'nobody', params: { x: 1 } }, INFO, MAX_CHARS), { code: 'TEXT_EMPTY' });
  });
});
