import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fadeOut } from '../../src/audio/fade-out.js';

describe('fadeOut', () => {
  it('ends at silence, falls monotonically over the fade, and leaves earlier samples alone', () => {
    const pcm = fadeOut(new Float32Array(100).fill(0.5), 40);
    assert.deepEqual(pcm.subarray(0, 60), new Float32Array(60).fill(0.5));
    assert.equal(pcm[99], 0);
    for (let i = 61; i < 100; i++) assert.ok(pcm[i]! <= pcm[i - 1]!, `rises at ${i}`);
    assert.ok(pcm[60]! < 0.5 && pcm[60]! > 0.49, 'the first faded sample is barely lowered');
  });

  it('fades the whole of a piece shorter than the fade, and nothing with a fade of 0', () => {
    const short = fadeOut(new Float32Array(4).fill(1), 10);
    assert.equal(short[3], 0);
    assert.ok(short[0]! < 1);
    assert.deepEqual(fadeOut(new Float32Array(3).fill(1), 0), new Float32Array(3).fill(1));
    assert.equal(fadeOut(new Float32Array(0), 10).length, 0);
  });
});
