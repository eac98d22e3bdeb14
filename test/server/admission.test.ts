import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAdmission } from '../../src/server/admission.js';
import { TtsError } from '../../src/protocol/errors.js';

const live = () => new AbortController().signal;

/** Settles `promise` into a result the test can look at without awaiting a pending promise forever. */
function track<T>(promise: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } {
  const tracked: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(tracked, { state: 'resolved', value }),
    (error: unknown) => Object.assign(tracked, { state: 'rejected', error }),
  );
  return tracked;
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createAdmission', () => {
  it('grants up to maxActive slots at once', async () => {
    const admission = createAdmission({ maxActive: 2, maxQueued: 4 });
    await admission.acquire(live());
    await admission.acquire(live());
    assert.equal(admission.active, 2);
    assert.equal(admission.queued, 0);
    const third = track(admission.acquire(live()));
    await settle();
    assert.equal(third.state, 'pending');
    assert.equal(admission.queued, 1);
  });

  it('hands a freed slot to the waiters in FIFO order', async () => {
    const admission = createAdmission({ maxActive: 1, maxQueued: 4 });
    const release = await admission.acquire(live());
    const order: string[] = [];
    const waiters = ['a', 'b', 'c'].map((name) => admission.acquire(live()).then((r) => (order.push(name), r)));
    release();
    (await waiters[0]!)();
    (await waiters[1]!)();
    (await waiters[2]!)();
    assert.deepEqual(order, ['a', 'b', 'c']);
    assert.equal(admission.active, 0);
  });

  it('refuses with SERVER_BUSY (retryable) once the queue is full', async () => {
    const admission = createAdmission({ maxActive: 1, maxQueued: 1 });
    await admission.acquire(live());
    const queued = track(admission.acquire(live()));
    await assert.rejects(admission.acquire(live()), (err: unknown) => err instanceof TtsError && err.code === 'SERVER_BUSY' && err.retryable);
    assert.equal(queued.state, 'pending');
    assert.equal(admission.queued, 1);
  });

  it('with no queue, refuses as soon as every slot is taken', async () => {
    const admission = createAdmission({ maxActive: 1, maxQueued: 0 });
    await admission.acquire(live());
    await assert.rejects(admission.acquire(live()), { code: 'SERVER_BUSY' });
  });

  it('drops a waiter whose signal aborts, and gives the slot to the next one', async () => {
    const admission = createAdmission({ maxActive: 1, maxQueued: 4 });
    const release = await admission.acquire(live());
    const abort = new AbortController();
    const aborted = admission.acquire(abort.signal);
    const next = track(admission.acquire(live()));
    assert.equal(admission.queued, 2);
    abort.abort();
    await assert.rejects(aborted, TtsError);
    assert.equal(admission.queued, 1);
    release();
    await settle();
    assert.equal(next.state, 'resolved');
    assert.equal(admission.active, 1);
    assert.equal(admission.queued, 0);
  });

  it('refuses a request whose signal already aborted, taking no slot', async () => {
    const admission = createAdmission({ maxActive: 1, maxQueued: 1 });
    await assert.rejects(admission.acquire(AbortSignal.abort()), TtsError);
    assert.equal(admission.active, 0);
  });

  it('ignores a second call of the same release', async () => {
    const admission = createAdmission({ maxActive: 2, maxQueued: 0 });
    const release = await admission.acquire(live());
    await admission.acquire(live());
    release();
    release();
    assert.equal(admission.active, 1);
  });

  it('ignores an abort after the slot was granted', async () => {
    const admission = createAdmission({ maxActive: 1, maxQueued: 1 });
    const abort = new AbortController();
    const release = await admission.acquire(abort.signal);
    abort.abort();
    assert.equal(admission.active, 1);
    release();
    assert.equal(admission.active, 0);
  });

  it('a request resuming after a pause waits ahead of new ones and is never refused for a full queue', async () => {
    const admission = createAdmission({ maxActive: 1, maxQueued: 1 });
    const release = await admission.acquire(live());
    const fresh = track(admission.acquire(live()));
    const resuming = track(admission.acquire(live(), { resuming: true }));
    await assert.rejects(admission.acquire(live()), { code: 'SERVER_BUSY' });
    assert.equal(admission.queued, 2);
    release();
    await settle();
    assert.equal(resuming.state, 'resolved', 'the resuming request got the freed slot');
    assert.equal(fresh.state, 'pending');
  });

  it('counts paused requests until each one stops counting, once', () => {
    const admission = createAdmission({ maxActive: 1, maxQueued: 1 });
    const first = admission.markPaused();
    const second = admission.markPaused();
    assert.equal(admission.paused, 2);
    first();
    first();
    assert.equal(admission.paused, 1);
    second();
    assert.equal(admission.paused, 0);
  });
});
