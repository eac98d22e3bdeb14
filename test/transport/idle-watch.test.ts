import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchIdle } from '../../src/transport/idle-watch.js';

describe('watchIdle', () => {
  it('fires only once the connection is not busy, however many idle periods passed while it was', async () => {
    let busyChecks = 0;
    const idle = await new Promise<number>((resolve) => {
      watchIdle({
        idleMs: 5,
        isBusy: () => ++busyChecks < 4,
        onIdle: () => resolve(busyChecks),
      });
    });
    assert.equal(idle, 4, 'three busy periods re-armed the timer; the fourth, not busy, cut');
  });

  it('never fires after stop', async () => {
    let fired = false;
    const watch = watchIdle({ idleMs: 5, isBusy: () => false, onIdle: () => (fired = true) });
    watch.stop();
    // Node runs timers of one duration in the order they were set: this one runs after the stopped one would have.
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(fired, false);
  });
});
