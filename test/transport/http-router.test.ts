import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HttpExchange } from '../../src/transport/http-exchange.js';
import { createHttpRouter } from '../../src/transport/http-router.js';

/** Just enough of an exchange for routing: its method and path. */
function exchange(method: string, path: string): HttpExchange {
  return { method, path } as HttpExchange;
}

describe('createHttpRouter', () => {
  it('prefers an exact route, then a prefix route for the method or any method, then the fallback', () => {
    const router = createHttpRouter();
    const seen: string[] = [];
    router.on('GET', '/v1/voices', () => seen.push('exact'));
    router.onPrefix('GET', '/v1/voices/', () => seen.push('get-prefix'));
    router.onPrefix('*', '/v1/voices/', () => seen.push('any-prefix'));
    router.otherwise(() => seen.push('fallback'));
    for (const [method, path] of [
      ['GET', '/v1/voices'],
      ['GET', '/v1/voices/a'],
      ['DELETE', '/v1/voices/a'],
      ['GET', '/v1/voicesx'],
      ['POST', '/v1/other'],
    ] as const)
      router.handle(exchange(method, path));
    assert.deepEqual(seen, ['exact', 'get-prefix', 'any-prefix', 'fallback', 'fallback']);
  });
});
