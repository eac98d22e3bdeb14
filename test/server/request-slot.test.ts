import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAdmission } from '../../src/server/admission.js';
import { RequestSlot } from '../../src/server/request-slot.js';

/** A wait the test ends when it likes. */
function gate(): { wait: () => Promise<string>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<string>((resolve) => (open = () => resolve('opened')));
  return { wait: () => opened, open };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A request holding the only slot steps aside; another request takes the slot; then the first one's wait ends. */
async function resumedWhileSlotTaken(signal = new AbortController().signal) {
  const admission = createAdmission({ maxActive: 1, maxQueued: 0 });
  const slot = new RequestSlot(admission, signal);
  await slot.acquire();
  const { wait, open } = gate();
  const aside = slot.stepAside(wait);
  await settle();
  const releaseOther = await admission.acquire(new AbortController().signal);
  open();
  await settle();
  return { admission, slot, aside, releaseOther };
}

describe('RequestSlot', () => {
  it('gives the slot back while it waits, counted as paused, and takes it again after', async () => {
    const admission = createAdmission({ maxActive: 1, maxQueued: 0 });
    const slot = new RequestSlot(admission, new AbortController().signal);
    await slot.acquire();
    assert.equal(admission.active, 1);
    const { wait, open } = gate();
    const aside = slot.stepAside(wait);
    await settle();
    assert.deepEqual([admission.active, admission.paused], [0, 1]);
    open();
    assert.equal(await aside, 'opened');
    assert.deepEqual([admission.active, admission.paused], [1, 0]);
    slot.end();
    slot.end();
    assert.equal(admission.active, 0);
  });

  it('overlapping waits hold no slot until the last one ends, then exactly one', async () => {
    const admission = createAdmission({ maxActive: 2, maxQueued: 0 });
    const slot = new RequestSlot(admission, new AbortController().signal);
    await slot.acquire();
    const reader = gate();
    const text = gate();
    const first = slot.stepAside(reader.wait);
    const second = slot.stepAside(text.wait);
    await settle();
    assert.deepEqual([admission.active, admission.paused], [0, 1]);
    reader.open();
    await first;
    assert.equal(admission.active, 0, 'still waiting for text');
    text.open();
    await second;
    assert.deepEqual([admission.active, admission.paused], [1, 0]);
  });

  it('a wait that ends while another request holds the slot queues for it ahead of new requests', async () => {
    const { admission, aside, releaseOther } = await resumedWhileSlotTaken();
    assert.equal(admission.queued, 1, 'the resumed request waits for the slot');
    await assert.rejects(admission.acquire(new AbortController().signal), { code: 'SERVER_BUSY' });
    releaseOther();
    await aside;
    assert.equal(admission.active, 1);
  });

  it('a request aborted while it waits ends without taking a slot again', async () => {
    const abort = new AbortController();
    const { admission, slot, aside, releaseOther } = await resumedWhileSlotTaken(abort.signal);
    abort.abort();
    await aside;
    releaseOther();
    slot.end();
    assert.deepEqual([admission.active, admission.queued, admission.paused], [0, 0, 0]);
  });
});
