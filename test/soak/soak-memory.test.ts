import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rssFailures, type RssRecord } from '../../bench/soak/soak-memory.js';

const MB = 2 ** 20;
const record = (start: number, end: number, restarted = false): RssRecord => ({
  name: 'worker gpu0',
  cold: 100 * MB,
  start: start * MB,
  peak: 300 * MB,
  end: end * MB,
  restarted,
});

describe('soak memory verdict', () => {
  it('passes settled RSS within the limit of the warmed-up baseline, whatever the peak', () => {
    assert.deepEqual(rssFailures([record(150, 164)], 10), []);
  });

  it('fails a process whose settled RSS grew past the limit', () => {
    assert.deepEqual(rssFailures([record(150, 170)], 10), ['worker gpu0 RSS grew 13% (limit 10%)']);
  });

  it('does not judge a process that was restarted, since its end belongs to another process', () => {
    assert.deepEqual(rssFailures([record(150, 400, true)], 10), []);
  });
});
