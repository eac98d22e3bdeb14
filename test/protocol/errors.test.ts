import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, TtsError, closeCodeFor, httpStatusFor, isErrorCode, toTtsError, type ErrorCode } from '../../src/protocol/errors.js';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

describe('error codes', () => {
  it('map every code to a close code of RFC 6455 §7.4 and an HTTP error status', () => {
    for (const code of CODES) {
      assert.ok([1001, 1003, 1007, 1008, 1009, 1011, 1012, 1013].includes(closeCodeFor(code)), code);
      const status = httpStatusFor(code);
      assert.ok(status >= 400 && status <= 599, code);
    }
  });

  it('agree with their close codes: "try again" codes are retryable, bad-input codes are not', () => {
    for (const code of CODES) {
      const close = closeCodeFor(code);
      if (close === 1012 || close === 1013) assert.equal(ERROR_CODES[code].retryable, true, code);
      if (close === 1003 || close === 1007 || close === 1009) assert.equal(ERROR_CODES[code].retryable, false, code);
    }
  });

  it('isErrorCode accepts the table keys only', () => {
    assert.ok(CODES.every(isErrorCode));
    for (const value of ['bad_frame', 'toString', '__proto__', '', 1, undefined]) assert.equal(isErrorCode(value), false, String(value));
  });
});

describe('TtsError and toTtsError', () => {
  it('carries its code, the table retryable flag unless overridden, and a cause', () => {
    const cause = new Error('root');
    const err = new TtsError('SERVER_BUSY', 'full', { cause });
    assert.equal(err.name, 'TtsError');
    assert.equal(err.retryable, true);
    assert.equal(err.cause, cause);
    assert.equal(new TtsError('SERVER_BUSY', 'full', { retryable: false }).retryable, false);
  });

  it('passes a TtsError through and wraps anything else with the fallback code', () => {
    const original = new TtsError('BAD_PARAM', 'x');
    assert.equal(toTtsError(original), original);
    const wrapped = toTtsError(new RangeError('boom'), 'ENGINE_FAILED');
    assert.equal(wrapped.code, 'ENGINE_FAILED');
    assert.equal(wrapped.message, 'boom');
    assert.equal(toTtsError('a string').code, 'INTERNAL');
  });
});
