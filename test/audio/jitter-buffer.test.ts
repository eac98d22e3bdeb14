import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createJitterBuffer, type JitterBuffer, type RenderResult } from '../../src/audio/jitter-buffer.js';

const QUANTUM = 128;

/** Samples 1, 2, 3, … so any loss, repeat or reordering shows in the output. */
function ramp(from: number, length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => from + i);
}

/** Renders `blocks` quanta and returns the output joined, with each block's result. */
function renderBlocks(buffer: JitterBuffer, blocks: number, size = QUANTUM): { out: number[]; results: RenderResult[] } {
  const out: number[] = [];
  const results: RenderResult[] = [];
  for (let b = 0; b < blocks; b++) {
    const block = new Float32Array(size).fill(Number.NaN);
    results.push(buffer.render(block));
    out.push(...block);
  }
  return { out, results };
}

describe('createJitterBuffer', () => {
  it('stays silent until the prebuffer is full, then plays the chunks gaplessly and in order', () => {
    const buffer = createJitterBuffer({ prebufferFrames: 400 });
    buffer.push(ramp(1, 100));
    buffer.push(ramp(101, 37));
    const early = renderBlocks(buffer, 2);
    assert.deepEqual(early.out, new Array(256).fill(0), 'silence (not NaN, not partial audio) while buffering');
    assert.equal(buffer.state, 'buffering');
    assert.equal(buffer.playedFrames, 0);

    buffer.push(ramp(138, 300));
    const { out, results } = renderBlocks(buffer, 3);
    assert.equal(results[0]!.started, true);
    assert.equal(results[1]!.started, false);
    assert.deepEqual(out.slice(0, 384), [...ramp(1, 384)], 'chunk boundaries at 100 and 137 leave no gap');
    assert.equal(buffer.playedFrames, 384);
    assert.equal(buffer.bufferedFrames, 437 - 384);
  });

  it('plays out an ended stream shorter than the prebuffer and reports when its last frame went out', () => {
    const buffer = createJitterBuffer({ prebufferFrames: 2400 });
    buffer.push(ramp(1, 200));
    buffer.end();
    const { out, results } = renderBlocks(buffer, 3);
    assert.deepEqual(out.slice(0, 200), [...ramp(1, 200)]);
    assert.deepEqual(out.slice(200), new Array(184).fill(0));
    assert.deepEqual(
      results.map((r) => [r.frames, r.started, r.drained]),
      [
        [128, true, false],
        [72, false, true],
        [0, false, false],
      ],
    );
    assert.equal(buffer.state, 'idle');
    assert.equal(buffer.underruns, 0);
  });

  it('counts an underrun once per gap and rebuffers before resuming, losing no samples', () => {
    const buffer = createJitterBuffer({ prebufferFrames: 256 });
    buffer.push(ramp(1, 300));
    const first = renderBlocks(buffer, 4);
    assert.deepEqual(
      first.results.map((r) => r.underrun),
      [false, false, true, false],
    );
    assert.equal(buffer.underruns, 1, 'a dry queue is one underrun, not one per silent block');
    assert.equal(buffer.state, 'buffering');

    buffer.push(ramp(301, 200));
    assert.equal(renderBlocks(buffer, 1).results[0]!.frames, 0, 'waits for the prebuffer again after an underrun');
    buffer.push(ramp(501, 100));
    const second = renderBlocks(buffer, 3);
    assert.deepEqual(
      second.out.filter((s) => s !== 0),
      [...ramp(301, 300)],
    );
    assert.equal(second.results[0]!.started, false, 'resuming is not a new start');
    assert.equal(buffer.playedFrames, 600);
  });

  it('stop fades the next frames to silence and drops the rest', () => {
    const buffer = createJitterBuffer({ prebufferFrames: 0 });
    buffer.push(new Float32Array(16_000).fill(0.5));
    renderBlocks(buffer, 2);
    buffer.stop(64);
    buffer.push(new Float32Array(1000).fill(0.5));
    const { out, results } = renderBlocks(buffer, 2);
    const tail = out.slice(0, 64);
    assert.ok(tail[0]! > 0.49 && tail[0]! <= 0.5, 'the fade starts near full level');
    for (let i = 1; i < tail.length; i++) assert.ok(tail[i]! < tail[i - 1]!, 'and falls every frame');
    assert.equal(tail[63], 0);
    assert.deepEqual(out.slice(64), new Array(192).fill(0), 'nothing after the fade, not even chunks pushed after stop');
    assert.equal(results[0]!.drained, true);
    assert.equal(buffer.state, 'idle');
    assert.equal(buffer.bufferedFrames, 0);
    assert.equal(buffer.playedFrames, 256 + 64);
  });

  it('stop before playback starts drops everything at once', () => {
    const buffer = createJitterBuffer({ prebufferFrames: 4000 });
    buffer.push(ramp(1, 1000));
    buffer.stop(64);
    assert.equal(buffer.state, 'idle');
    assert.equal(buffer.bufferedFrames, 0);
    assert.deepEqual(renderBlocks(buffer, 1).out, new Array(128).fill(0));
  });

  it('reset starts a new stream with zeroed counters', () => {
    const buffer = createJitterBuffer({ prebufferFrames: 0 });
    buffer.push(ramp(1, 100));
    renderBlocks(buffer, 2);
    buffer.end();
    buffer.reset();
    assert.deepEqual([buffer.state, buffer.playedFrames, buffer.underruns, buffer.bufferedFrames], ['idle', 0, 0, 0]);
    buffer.push(ramp(1, 10));
    assert.equal(renderBlocks(buffer, 1).results[0]!.started, true, 'a reset buffer accepts chunks again after end()');
  });

  it('refuses a negative or fractional prebuffer', () => {
    assert.throws(() => createJitterBuffer({ prebufferFrames: -1 }), RangeError);
    const buffer = createJitterBuffer({ prebufferFrames: 10 });
    assert.throws(() => (buffer.prebufferFrames = 1.5), RangeError);
  });

  it('for any chunking, prebuffer and block size, plays exactly the input once the stream ends', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 5 }),
        (sizes, prebufferFrames, blockSize, blocksBetweenChunks) => {
          const buffer = createJitterBuffer({ prebufferFrames });
          const played: number[] = [];
          let next = 1;
          const pull = (blocks: number) => {
            for (const s of renderBlocks(buffer, blocks, blockSize).out) if (s !== 0) played.push(s);
          };
          for (const size of sizes) {
            buffer.push(ramp(next, size));
            next += size;
            pull(blocksBetweenChunks);
          }
          buffer.end();
          pull(Math.ceil(next / blockSize) + 2);
          assert.deepEqual(played, [...ramp(1, next - 1)]);
          assert.equal(buffer.playedFrames, next - 1);
          assert.equal(buffer.state, 'idle');
        },
      ),
    );
  });
});
