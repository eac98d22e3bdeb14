// Admission by capacity (issue 12): with an engine estimate the test sets (measured rates injected, no wall clock),
// a request starts only while every running one stays at real time; beyond that it waits briefly or is refused
// with SERVER_BUSY (retryable), and the running ones are never joined by it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineCapacity } from '../../src/engine/engine-capacity.js';
import { TtsError } from '../../src/protocol/errors.js';
import { createAdmission } from '../../src/server/admission.js';

const live = () => new AbortController().signal;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const isRetryableBusy = (err: unknown) => err instanceof TtsError && err.code === 'SERVER_BUSY' && err.retryable;

/** Each request gets 60 tokens/s alone, 30 with two, 20 with three: two keep real time (25), a third would not. */
const TWO_REAL_TIME: EngineCapacity = {
  minTokensPerSec: 25,
  tokensPerSecByBatch: [
    [1, 60],
    [2, 30],
    [3, 20],
  ],
};

describe('admission by real-time capacity', () => {
  it('refuses (retryable) a request that would push the running ones below real time', async () => {
    const admission = createAdmission({ maxActive: 8, maxQueued: 4, capacity: () => TWO_REAL_TIME, capacityWaitMs: 0 });
    await admission.acquire(live());
    await admission.acquire(live());
    await assert.rejects(admission.acquire(live()), (err: unknown) => isRetryableBusy(err) && /20\.0 tokens\/s, below 25/.test((err as Error).message));
    assert.equal(admission.active, 2, 'the running requests were not joined by a third');
    assert.equal(admission.queued, 0);
  });

  it('counts the remaining real-time requests down as requests start and back up as they end', async () => {
    const admission = createAdmission({ maxActive: 8, maxQueued: 4, capacity: () => TWO_REAL_TIME, capacityWaitMs: 0 });
    assert.equal(admission.remaining, 2);
    const first = await admission.acquire(live());
    assert.equal(admission.remaining, 1);
    const second = await admission.acquire(live());
    assert.equal(admission.remaining, 0);
    assert.equal(admission.estimate?.nextRequestTokensPerSec, 20);
    first();
    second();
    assert.equal(admission.remaining, 2);
  });

  it('lets a held-back request wait for a running one to end instead of refusing it', async () => {
    const admission = createAdmission({ maxActive: 8, maxQueued: 4, capacity: () => TWO_REAL_TIME, capacityWaitMs: 60_000 });
    const release = await admission.acquire(live());
    await admission.acquire(live());
    let granted = false;
    const third = admission.acquire(live()).then((r) => ((granted = true), r));
    await settle();
    assert.equal(granted, false);
    assert.equal(admission.queued, 1);
    release();
    (await third)();
    assert.equal(admission.active, 1);
  });

  it('refuses a held-back request once it has waited capacityWaitMs', async () => {
    const admission = createAdmission({ maxActive: 8, maxQueued: 4, capacity: () => TWO_REAL_TIME, capacityWaitMs: 5 });
    await admission.acquire(live());
    await admission.acquire(live());
    await assert.rejects(admission.acquire(live()), isRetryableBusy);
    assert.equal(admission.queued, 0);
    assert.equal(admission.active, 2);
  });

  it('starts waiting requests when a raised estimate is rechecked', async () => {
    let estimate = TWO_REAL_TIME;
    const admission = createAdmission({ maxActive: 8, maxQueued: 4, capacity: () => estimate, capacityWaitMs: 60_000 });
    await admission.acquire(live());
    await admission.acquire(live());
    const third = admission.acquire(live());
    await settle();
    assert.equal(admission.queued, 1);
    estimate = { minTokensPerSec: 25, tokensPerSecByBatch: [[3, 26]] };
    admission.recheck();
    await third;
    assert.equal(admission.active, 3);
  });

  it('never holds back a request resuming after a pause: it was admitted before', async () => {
    const admission = createAdmission({ maxActive: 8, maxQueued: 0, capacity: () => TWO_REAL_TIME, capacityWaitMs: 0 });
    await admission.acquire(live());
    await admission.acquire(live());
    await admission.acquire(live(), { resuming: true });
    assert.equal(admission.active, 3);
  });

  it('uses max-active alone and reports no remaining capacity without an estimate or with the bar off', async () => {
    for (const capacity of [() => undefined, () => ({ ...TWO_REAL_TIME, minTokensPerSec: 0 })]) {
      const admission = createAdmission({ maxActive: 3, maxQueued: 0, capacity, capacityWaitMs: 0 });
      for (let i = 0; i < 3; i++) await admission.acquire(live());
      assert.equal(admission.remaining, null);
      await assert.rejects(admission.acquire(live()), /3|waiting/);
    }
  });

  it('admits one request alone even when the engine is slower than real time', async () => {
    const slow: EngineCapacity = { minTokensPerSec: 25, tokensPerSecByBatch: [[1, 10]] };
    const admission = createAdmission({ maxActive: 8, maxQueued: 4, capacity: () => slow, capacityWaitMs: 0 });
    assert.equal(admission.remaining, 1);
    await admission.acquire(live());
    assert.equal(admission.remaining, 0);
    await assert.rejects(admission.acquire(live()), isRetryableBusy);
  });
});
