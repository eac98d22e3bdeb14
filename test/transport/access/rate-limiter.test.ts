import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRateLimiter } from '../../../src/transport/access/rate-limiter.js';

describe('rate limiter', () => {
  it('lets a minute’s requests through, then answers the wait until one more fits', () => {
    let now = 0;
    const limiter = createRateLimiter({ sessionsPerClient: 0, requestsPerMinute: 3, charsPerMinute: 0 }, () => now);
    for (let i = 0; i < 3; i++) assert.equal(limiter.takeRequest('a', 10), undefined);
    assert.equal(limiter.takeRequest('a', 10), 20_000);
    assert.equal(limiter.takeRequest('b', 10), undefined, 'clients are counted apart');
    now = 20_000;
    assert.equal(limiter.takeRequest('a', 10), undefined);
  });

  it('counts characters and takes nothing from a refused request', () => {
    let now = 0;
    const limiter = createRateLimiter({ sessionsPerClient: 0, requestsPerMinute: 0, charsPerMinute: 600 }, () => now);
    assert.equal(limiter.takeRequest('a', 500), undefined);
    assert.equal(limiter.takeRequest('a', 200), 10_000);
    assert.equal(limiter.takeRequest('a', 100), undefined, 'the refused 200 took nothing');
    now = 1000;
    assert.equal(limiter.takeRequest('a', 10), undefined);
  });

  it('holds sessions per client until they close', () => {
    const limiter = createRateLimiter({ sessionsPerClient: 2, requestsPerMinute: 0, charsPerMinute: 0 });
    assert.equal(limiter.openSession('a'), undefined);
    assert.equal(limiter.openSession('a'), undefined);
    assert.ok((limiter.openSession('a') ?? 0) > 0);
    limiter.closeSession('a');
    assert.equal(limiter.openSession('a'), undefined);
  });
});
