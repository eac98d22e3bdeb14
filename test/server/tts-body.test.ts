import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtsError, type ErrorCode } from '../../src/protocol/errors.js';
import { parseTtsBody } from '../../src/server/tts-body.js';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const JSON_TYPE = 'application/json';

describe('parseTtsBody', () => {
  it('reads a minimal body with the defaults: s16le in a WAV', () => {
    assert.deepEqual(parseTtsBody(json({ text: 'Hi.' }), JSON_TYPE, ''), {
      text: 'Hi.',
      voice: undefined,
      language: undefined,
      params: undefined,
      format: 's16le',
      container: 'wav',
    });
  });

  it('reads every field and the pcm container', () => {
    const parsed = parseTtsBody(json({ text: 'Hi.', voice: 'rms', language: 'en', params: { speed: 1.5 }, format: 'f32le' }), JSON_TYPE, 'format=pcm');
    assert.deepEqual(parsed, { text: 'Hi.', voice: 'rms', language: 'en', params: { speed: 1.5 }, format: 'f32le', container: 'pcm' });
  });

  it('accepts a media type with parameters and any case', () => {
    assert.equal(parseTtsBody(json({ text: 'a' }), 'Application/JSON; charset=utf-8', 'format=wav').container, 'wav');
  });

  const rejected: Array<{ name: string; body: Uint8Array; contentType?: string; query?: string; code: ErrorCode }> = [
    { name: 'text/plain', body: json({ text: 'a' }), contentType: 'text/plain', code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'no content type', body: json({ text: 'a' }), contentType: '', code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'a JSON-like media type', body: json({ text: 'a' }), contentType: 'application/json-seq', code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'malformed JSON', body: new TextEncoder().encode('{"text": '), code: 'BAD_JSON' },
    { name: 'an empty body', body: new Uint8Array(0), code: 'BAD_JSON' },
    { name: 'invalid UTF-8', body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]), code: 'BAD_JSON' },
    { name: 'a JSON array', body: json([{ text: 'a' }]), code: 'BAD_MESSAGE' },
    { name: 'JSON null', body: json(null), code: 'BAD_MESSAGE' },
    { name: 'no text', body: json({ voice: 'slt' }), code: 'BAD_MESSAGE' },
    { name: 'numeric text', body: json({ text: 1 }), code: 'BAD_MESSAGE' },
    { name: 'a numeric voice', body: json({ text: 'a', voice: 1 }), code: 'BAD_MESSAGE' },
    { name: 'params as an array', body: json({ text: 'a', params: [1] }), code: 'BAD_MESSAGE' },
    { name: 'a string param', body: json({ text: 'a', params: { speed: '1' } }), code: 'BAD_MESSAGE' },
    { name: 'a null param', body: json({ text: 'a', params: { speed: null } }), code: 'BAD_MESSAGE' },
    { name: 'an unknown sample format', body: json({ text: 'a', format: 'mp3' }), code: 'BAD_MESSAGE' },
    { name: 'an unknown container', body: json({ text: 'a' }), query: 'format=mp3', code: 'BAD_MESSAGE' },
  ];
  for (const { name, body, contentType = JSON_TYPE, query = '', code } of rejected) {
    it(`rejects ${name} with ${code}`, () => {
      assert.throws(
        () => parseTtsBody(body, contentType, query),
        (err: unknown) => err instanceof TtsError && err.code === code,
      );
    });
  }
});
