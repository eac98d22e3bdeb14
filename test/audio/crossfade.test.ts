import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crossfade } from '../../src/audio/crossfade.js';

describe('crossfade', () => {
  it('keeps a constant level when both sides agree (weights sum to 1)', () => {
    const out = crossfade(new Float32Array(480).fill(0.3), new Float32Array(480).fill(0.3));
    for (const s of out) assert.ok(Math.abs(s - 0.3) < 1e-6);
  });

  it('starts near the tail and ends near the head', () => {
    const out = crossfade(new Float32Array(480).fill(1), new Float32Array(480).fill(-1));
    assert.ok(out[0]! > 0.99);
    assert.ok(out[479]! < -0.99);
    for (let i = 1; i < out.length; i++) assert.ok(out[i]! <= out[i - 1]!, 'monotonic between the two levels');
  });

  it('rejects sides of different lengths', () => {
    assert.throws(() => crossfade(new Float32Array(3), new Float32Array(4)), RangeError);
  });
});
