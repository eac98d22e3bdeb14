import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isClientFault, isUnreachable } from '../../src/balancer/backend-record.js';
import { TtsError } from '../../src/protocol/errors.js';

describe('isClientFault', () => {
  const cases: Array<[string, boolean]> = [
    ['BAD_FRAME', true],
    ['BAD_MESSAGE', true],
    ['UNKNOWN_VOICE', true],
    ['TEXT_TOO_LONG', true],
    ['TOO_MANY_REQUESTS', true],
    ['ENGINE_FAILED', false],
    ['INTERNAL', false],
    ['BACKEND_LOST', false],
    ['SERVER_BUSY', false],
    ['SOMETHING_NEW', false],
  ];
  for (const [code, expected] of cases) {
    it(`${code} → ${expected ? "the client's" : "the worker's"}`, () => assert.equal(isClientFault(code), expected));
  }
});

describe('isUnreachable', () => {
  const errno = (code: string) => Object.assign(new Error(code), { code });
  const cases: Array<{ name: string; err: unknown; expected: boolean }> = [
    { name: 'connection refused', err: errno('ECONNREFUSED'), expected: true },
    { name: 'a timeout', err: errno('ETIMEDOUT'), expected: true },
    { name: 'a refusal wrapped as NO_BACKEND', err: new TtsError('NO_BACKEND', 'x', { cause: errno('ECONNREFUSED') }), expected: true },
    { name: 'a reset: one dropped connection proves nothing', err: errno('ECONNRESET'), expected: false },
    { name: 'a hang-up', err: new Error('socket hang up'), expected: false },
    { name: 'a reset wrapped as NO_BACKEND', err: new TtsError('NO_BACKEND', 'x', { cause: errno('ECONNRESET') }), expected: false },
    { name: 'not an error', err: undefined, expected: false },
  ];
  for (const { name, err, expected } of cases) {
    it(`${name} → ${expected}`, () => assert.equal(isUnreachable(err), expected));
  }
});
