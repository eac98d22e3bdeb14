import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamDecoder, type ChunkingOptions } from '../../../src/engine/chatterbox/stream-decoder.js';

const SPT = 960;

/** A decoder whose sample i of token t depends only on (t, i): decodes of overlapping windows agree exactly. */
function localDecoder(calls: Array<readonly number[]>) {
  return async (tokens: readonly number[]) => {
    calls.push(tokens);
    const out = new Float32Array(tokens.length * SPT);
    tokens.forEach((t, k) => {
      for (let i = 0; i < SPT; i++) out[k * SPT + i] = Math.sin((t + 1) * 0.001 * i);
    });
    return out;
  };
}

async function run(tokenCount: number, options: ChunkingOptions) {
  const calls: Array<readonly number[]> = [];
  const decoder = new StreamDecoder(localDecoder(calls), options, 24_000);
  const chunks: Float32Array[] = [];
  for (let t = 0; t < tokenCount; t++) {
    const chunk = await decoder.push(t % 7);
    if (chunk) chunks.push(chunk);
  }
  chunks.push(await decoder.flush());
  return { chunks, calls };
}

function joined(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

describe('StreamDecoder', () => {
  const options: ChunkingOptions = { firstChunkTokens: 4, chunkTokens: 10, contextTokens: 5, crossfadeMs: 20 };

  for (const tokenCount of [1, 3, 4, 5, 14, 15, 37, 100]) {
    it(`emits exactly ${SPT} samples per token for ${tokenCount} tokens`, async () => {
      const { chunks } = await run(tokenCount, options);
      assert.equal(chunks.reduce((n, c) => n + c.length, 0), tokenCount * SPT);
    });
  }

  it('joins to the same audio as one decode of all tokens when decodes agree (no gap, no duplicate at seams)', async () => {
    const { chunks } = await run(57, options);
    const whole = await localDecoder([])(Array.from({ length: 57 }, (_, t) => t % 7));
    const stitched = joined(chunks);
    for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(stitched[i]! - whole[i]!) < 1e-6, `sample ${i} differs`);
  });

  it('sends a small first chunk, then chunks of chunkTokens, each decoded with context', async () => {
    const { chunks, calls } = await run(40, options);
    assert.equal(calls[0]!.length, 4, 'first decode covers the first 4 tokens only');
    assert.equal(calls[1]!.length, 4 + 10, 'second decode re-decodes 4 emitted tokens of context plus 10 new');
    assert.equal(calls[2]!.length, 5 + 10, 'context is capped at contextTokens');
    assert.ok(chunks[0]!.length < chunks[1]!.length);
  });

  it('crossfades a seam between decodes that disagree instead of jumping', async () => {
    let call = 0;
    const decoder = new StreamDecoder(
      async (tokens) => {
        call += 1;
        return new Float32Array(tokens.length * SPT).fill(call === 1 ? 0.5 : -0.5);
      },
      { firstChunkTokens: 2, chunkTokens: 2, contextTokens: 1, crossfadeMs: 20 },
      24_000,
    );
    await decoder.push(1);
    const first = (await decoder.push(1))!;
    await decoder.push(1);
    const second = (await decoder.push(1))!;
    const seam = joined([first, second]);
    let maxStep = 0;
    for (let i = 1; i < seam.length; i++) maxStep = Math.max(maxStep, Math.abs(seam[i]! - seam[i - 1]!));
    assert.ok(maxStep < 0.01, `largest step at the seam was ${maxStep}`);
  });

  it('flush with nothing new returns the held tail once, then nothing', async () => {
    const decoder = new StreamDecoder(localDecoder([]), options, 24_000);
    for (let t = 0; t < 4; t++) await decoder.push(t);
    assert.equal((await decoder.flush()).length, 480);
    assert.equal((await decoder.flush()).length, 0);
  });
});
