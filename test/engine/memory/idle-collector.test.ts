import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collectGarbage } from '../../../src/engine/memory/collect-garbage.js';
import { createIdleCollector } from '../../../src/engine/memory/idle-collector.js';

/** An idle collector that counts its collections; `nextCollection()` resolves at the next one. */
function countingCollector(idleMs: number) {
  let collections = 0;
  let collected = (): void => undefined;
  const collector = createIdleCollector(idleMs, () => {
    collections += 1;
    collected();
  });
  return { collector, count: () => collections, nextCollection: () => new Promise<void>((resolve) => (collected = resolve)) };
}

describe('createIdleCollector', () => {
  // The collector's timer is unref'd (it must never keep a worker alive), so the test holds the event loop open.
  let keepAlive: NodeJS.Timeout;
  before(() => (keepAlive = setInterval(() => undefined, 60_000)));
  after(() => clearInterval(keepAlive));

  it('collects once after the last touch, not once per touch', async () => {
    const { collector, count, nextCollection } = countingCollector(30);
    const done = nextCollection();
    for (let i = 0; i < 5; i++) collector.touch();
    await done;
    assert.equal(count(), 1);
    collector.stop();
  });

  it('collects again after the next touch, and never after stop()', async () => {
    const { collector, count, nextCollection } = countingCollector(10);
    let next = nextCollection();
    collector.touch();
    await next;
    next = nextCollection();
    collector.touch();
    await next;
    collector.touch();
    collector.stop();
    collector.touch();
    // Timers of equal length fire in the order they were set: a collector timer left running would fire before this.
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(count(), 2);
  });

  it('refuses a negative idle time', () => {
    assert.throws(() => createIdleCollector(-1), RangeError);
  });
});

describe('collectGarbage', () => {
  it('frees an unreachable WebAssembly memory, and leaves no global gc behind', async () => {
    const memory = (() => new WeakRef(new WebAssembly.Memory({ initial: 16 })))();
    // A WeakRef keeps its target alive until the job that made it ends.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    assert.equal(memory.deref(), undefined);
    assert.equal('gc' in globalThis, false);
  });
});
