import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SoakLedger, percentile, soakFailures } from '../../bench/soak/soak-ledger.js';

/** Feeds one request's frames to a fresh ledger: [seq, samples] audio frames, then an end. */
function replay(frames: Array<['audio', number, number] | ['done', number, number] | ['error', string] | ['drop']>) {
  const ledger = new SoakLedger();
  ledger.started('r', 0);
  let t = 0;
  for (const frame of frames) {
    t += 10;
    if (frame[0] === 'audio') ledger.audio('r', frame[1], frame[2], t);
    else if (frame[0] === 'done') ledger.done('r', frame[1], frame[2], false);
    else if (frame[0] === 'error') ledger.error('r', frame[1]);
    else ledger.droppedByClient('r');
  }
  return ledger.summarize();
}

describe('SoakLedger', () => {
  it('a contiguous stream ending in one done passes', () => {
    const tally = replay([
      ['audio', 0, 5],
      ['audio', 1, 5],
      ['audio', 2, 5],
      ['done', 3, 15],
    ]);
    assert.deepEqual(soakFailures(tally), []);
    assert.equal(tally.completed, 1);
    assert.deepEqual(tally.ttfaMs, [10]);
  });

  const failing: Array<[string, Parameters<typeof replay>[0], RegExp]> = [
    [
      'a gap in seq',
      [
        ['audio', 0, 5],
        ['audio', 2, 5],
        ['done', 3, 15],
      ],
      /1 chunks lost/,
    ],
    [
      'a repeated seq',
      [
        ['audio', 0, 5],
        ['audio', 0, 5],
        ['audio', 1, 5],
        ['done', 2, 10],
      ],
      /1 chunks duplicated/,
    ],
    [
      'a lost tail (done counts more frames than arrived)',
      [
        ['audio', 0, 5],
        ['done', 2, 10],
      ],
      /1 chunks lost/,
    ],
    [
      'a first chunk that never came (seq starts at 1)',
      [
        ['audio', 1, 5],
        ['done', 2, 10],
      ],
      /1 chunks lost/,
    ],
    ['no end', [['audio', 0, 5]], /1 requests never ended/],
    [
      'two ends',
      [
        ['audio', 0, 5],
        ['done', 1, 5],
        ['error', 'INTERNAL'],
      ],
      /1 requests ended twice/,
    ],
    [
      'audio after done',
      [
        ['done', 0, 0],
        ['audio', 0, 5],
      ],
      /frames after a request ended/,
    ],
  ];
  for (const [name, frames, failure] of failing) {
    it(`fails on ${name}`, () => {
      assert.match(soakFailures(replay(frames)).join('; '), failure);
    });
  }

  it('a request whose client cut the link may end without done or error', () => {
    const tally = replay([['audio', 0, 5], ['drop']]);
    assert.deepEqual(soakFailures(tally), []);
    assert.equal(tally.droppedByClient, 1);
  });

  it('counts errors by code, and errors without a known id as connection errors', () => {
    const ledger = new SoakLedger();
    ledger.started('a', 0);
    ledger.error('a', 'BACKEND_LOST');
    ledger.error(undefined, 'BAD_FRAME');
    const tally = ledger.summarize();
    assert.deepEqual(tally.errorsByCode, { BACKEND_LOST: 1 });
    assert.deepEqual(tally.connectionErrorsByCode, { BAD_FRAME: 1 });
    assert.deepEqual(soakFailures(tally), []);
  });

  it('percentile is the nearest rank', () => {
    assert.equal(percentile([5, 1, 3, 2, 4], 0.5), 3);
    assert.equal(percentile([5, 1, 3, 2, 4], 0.99), 5);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });
});
