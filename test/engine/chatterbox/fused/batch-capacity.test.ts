import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchCapacity } from '../../../../src/engine/chatterbox/fused/batch-capacity.js';

describe('BatchCapacity', () => {
  it('admits anything while idle or before any run was measured', () => {
    const capacity = new BatchCapacity(25);
    assert.equal(capacity.admits(0), true);
    assert.equal(capacity.admits(3), true);
  });

  it('admits while the learned or estimated per-request rate stays at real time', () => {
    const capacity = new BatchCapacity(25);
    capacity.record(1, 25, 250); // 100 tokens/s alone
    assert.equal(capacity.rateAt(1), 100);
    assert.equal(capacity.rateAt(4), 25); // total held flat: 100 / 4
    assert.equal(capacity.admits(3), true); // the 4th request: 25 each
    assert.equal(capacity.admits(4), false); // a 5th: 20 each
    capacity.record(4, 25, 500); // batching measured: 50 tokens/s each at 4
    assert.equal(capacity.admits(4), true); // 5 estimated from 4: 40 each
    assert.equal(capacity.remaining(1, 8), 7);
  });

  it('refuses a second request when one alone is slower than real time, unless admission is off', () => {
    const strict = new BatchCapacity(25);
    strict.record(1, 10, 1000);
    assert.equal(strict.admits(1), false);
    assert.equal(strict.remaining(1, 8), 0);
    const open = new BatchCapacity(0);
    open.record(1, 10, 1000);
    assert.equal(open.admits(1), true);
  });
});
