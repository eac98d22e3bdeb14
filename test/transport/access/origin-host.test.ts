import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHostAllowed, isOriginAllowed } from '../../../src/transport/access/origin-host.js';

describe('origin check', () => {
  const cases: Array<[origin: string, host: string, allowed: string[], expected: boolean]> = [
    ['', 'tts.example:6095', [], true],
    ['http://tts.example:6095', 'tts.example:6095', [], true],
    ['https://tts.example', 'tts.example', [], true],
    ['http://evil.example', 'tts.example:6095', [], false],
    ['http://tts.example:6096', 'tts.example:6095', [], false],
    ['null', '127.0.0.1:6093', [], false],
    ['null', '127.0.0.1:6093', ['null'], true],
    ['file://', '127.0.0.1:6093', [], false],
    ['https://app.example', 'tts.example', ['https://app.example'], true],
    ['http://evil.example', 'tts.example', ['*'], true],
  ];
  for (const [origin, host, allowed, expected] of cases) {
    it(`${expected ? 'allows' : 'refuses'} Origin '${origin}' for Host '${host}' with [${allowed.join(',')}]`, () => {
      assert.equal(isOriginAllowed(origin, host, allowed), expected);
    });
  }
});

describe('host check', () => {
  const cases: Array<[host: string, listenHost: string, allowed: string[], expected: boolean]> = [
    ['127.0.0.1:6093', '127.0.0.1', [], true],
    ['localhost:6093', '127.0.0.1', [], true],
    ['app.localhost', '127.0.0.1', [], true],
    ['[::1]:6093', '::1', [], true],
    ['10.1.2.3:6093', '0.0.0.0', [], true],
    ['evil.example:6093', '127.0.0.1', [], false],
    ['tts.example', '0.0.0.0', [], false],
    ['tts.example', 'tts.example', [], true],
    ['TTS.example:443', '0.0.0.0', ['tts.example'], true],
    ['anything.example', '0.0.0.0', ['*'], true],
    ['', '127.0.0.1', [], false],
  ];
  for (const [host, listenHost, allowed, expected] of cases) {
    it(`${expected ? 'allows' : 'refuses'} Host '${host}' listening on ${listenHost} with [${allowed.join(',')}]`, () => {
      assert.equal(isHostAllowed(host, listenHost, allowed), expected);
    });
  }
});
