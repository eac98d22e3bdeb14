import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtsError } from '../../src/protocol/errors.js';
import { formField, formFile, multipartBoundary, parseMultipart } from '../../src/server/multipart.js';
import { formBody } from '../helpers/multipart.js';

const encoder = new TextEncoder();

function rejectsAs(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (err: unknown) => err instanceof TtsError && err.code === 'BAD_MESSAGE' && pattern.test(err.message));
}

describe('multipartBoundary', () => {
  const cases: Array<[string, string | undefined]> = [
    ['multipart/form-data; boundary=abc', 'abc'],
    ['Multipart/Form-Data; charset=utf-8; boundary="a b:c"', 'a b:c'],
    ['multipart/form-data', undefined],
    ['multipart/mixed; boundary=abc', undefined],
    ['application/json', undefined],
    [`multipart/form-data; boundary=${'x'.repeat(71)}`, undefined],
  ];
  for (const [contentType, expected] of cases) it(`reads ${JSON.stringify(contentType)}`, () => assert.equal(multipartBoundary(contentType), expected));
});

describe('parseMultipart', () => {
  it("reads fields and files as the platform's FormData writes them, bytes intact", async () => {
    const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37) % 256);
    const { body, contentType } = await formBody({ name: 'ünïcode voice', file: { filename: 'clip.wav', type: 'audio/wav', data }, empty: '' });
    const parts = parseMultipart(body, multipartBoundary(contentType)!);
    assert.equal(formField(parts, 'name'), 'ünïcode voice');
    assert.equal(formField(parts, 'empty'), '');
    assert.equal(formField(parts, 'absent'), undefined);
    const file = formFile(parts, 'file')!;
    assert.equal(file.filename, 'clip.wav');
    assert.equal(file.contentType, 'audio/wav');
    assert.deepEqual(file.data, data);
  });

  it('finds the boundary only at a line start, so file bytes that contain it without CRLF stay data', () => {
    const body = encoder.encode('--b\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\nAB--bCD\r\n--b--\r\n');
    assert.equal(new TextDecoder().decode(formFile(parseMultipart(body, 'b'), 'f')!.data), 'AB--bCD');
  });

  it('refuses a body cut short, one without its opening boundary, parts without names, and too many parts', () => {
    const whole = '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n';
    rejectsAs(() => parseMultipart(encoder.encode(whole.slice(0, 50)), 'b'), /no closing boundary/);
    rejectsAs(() => parseMultipart(encoder.encode(whole.slice(0, 30)), 'b'), /headers missing/);
    rejectsAs(() => parseMultipart(encoder.encode('hello'), 'b'), /no opening boundary/);
    rejectsAs(() => parseMultipart(encoder.encode('--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b--'), 'b'), /no field name/);
    rejectsAs(() => parseMultipart(encoder.encode('--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--'), 'b'), /no content-disposition/);
    const many = `${'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'.repeat(3)}--b--`;
    rejectsAs(() => parseMultipart(encoder.encode(many), 'b', { maxParts: 2, maxHeaderBytes: 4096 }), /more than 2 parts/);
    rejectsAs(() => parseMultipart(encoder.encode(`--b\r\nX: ${'y'.repeat(5000)}\r\n\r\n1\r\n--b--`), 'b'), /too long/);
  });

  it('refuses a repeated field and a field that is not UTF-8', () => {
    const twice = encoder.encode(
      '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n2\r\n--b--',
    );
    rejectsAs(() => formField(parseMultipart(twice, 'b'), 'a'), /repeated/);
    const latin = Uint8Array.of(...encoder.encode('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n'), 0xff, 0xfe, ...encoder.encode('\r\n--b--'));
    rejectsAs(() => formField(parseMultipart(latin, 'b'), 'a'), /not UTF-8/);
  });
});
