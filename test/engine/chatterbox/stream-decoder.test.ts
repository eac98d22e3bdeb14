import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamDecoder, type ChunkingOptions, type PieceHandoff } from '../../../src/engine/chatterbox/stream-decoder.js';

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

/** `decode`, with every window it is given recorded in `calls`. */
function recording(calls: Array<readonly number[]>, decode: (tokens: readonly number[]) => Promise<Float32Array>) {
  return (tokens: readonly number[]) => {
    calls.push(tokens);
    return decode(tokens);
  };
}

/**
 * A decoder whose token k also depends on tokens k+1..k+`right` of the same window (none past its end), as the real
 * decoder's look-ahead does: a window that stops short of them renders token k differently.
 */
function rightContextDecoder(right: number, calls: Array<readonly number[]> = []) {
  return async (tokens: readonly number[]) => {
    calls.push(tokens);
    const out = new Float32Array(tokens.length * SPT);
    tokens.forEach((t, k) => {
      let phase = 0;
      for (let j = 1; j <= right && k + j < tokens.length; j++) phase += (tokens[k + j]! + 1) / j;
      for (let i = 0; i < SPT; i++) out[k * SPT + i] = Math.sin((t + 1) * 0.001 * i + phase);
    });
    return out;
  };
}

const tokenAt = (t: number) => (t * 5) % 7;

async function run(tokenCount: number, options: ChunkingOptions, decode = localDecoder([])) {
  const calls: Array<readonly number[]> = [];
  const decoder = new StreamDecoder(recording(calls, decode), options, 24_000);
  const chunks: Float32Array[] = [];
  for (let t = 0; t < tokenCount; t++) {
    const chunk = await decoder.push(tokenAt(t));
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
  const options: ChunkingOptions = { firstChunkTokens: 4, chunkTokens: 10, contextTokens: 5, crossfadeMs: 20, lookaheadTokens: 0 };

  for (const tokenCount of [1, 3, 4, 5, 14, 15, 37, 100]) {
    it(`emits exactly ${SPT} samples per token for ${tokenCount} tokens`, async () => {
      const { chunks } = await run(tokenCount, options);
      assert.equal(
        chunks.reduce((n, c) => n + c.length, 0),
        tokenCount * SPT,
      );
    });
  }

  it('joins to the same audio as one decode of all tokens when decodes agree (no gap, no duplicate at seams)', async () => {
    const { chunks } = await run(57, options);
    const whole = await localDecoder([])(Array.from({ length: 57 }, (_, t) => tokenAt(t)));
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
      { firstChunkTokens: 2, chunkTokens: 2, contextTokens: 1, crossfadeMs: 20, lookaheadTokens: 0 },
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

  describe('look-ahead', () => {
    const withLookahead = (lookaheadTokens: number): ChunkingOptions => ({ ...options, lookaheadTokens });
    const wholeOf = (tokenCount: number, right: number) => rightContextDecoder(right)(Array.from({ length: tokenCount }, (_, t) => tokenAt(t)));

    for (const right of [0, 1, 3]) {
      for (const lookahead of [right, 5]) {
        for (const tokenCount of [1, 4 + lookahead - 1, 4 + lookahead, 15 + lookahead, 57]) {
          it(`equals one decode with a decoder of ${right} token(s) of right context, look-ahead ${lookahead}, ${tokenCount} tokens`, async () => {
            const { chunks } = await run(tokenCount, withLookahead(lookahead), rightContextDecoder(right));
            const stitched = joined(chunks);
            const whole = await wholeOf(tokenCount, right);
            assert.equal(stitched.length, whole.length);
            for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(stitched[i]! - whole[i]!) < 1e-6, `sample ${i} (token ${Math.floor(i / SPT)}) differs`);
          });
        }
      }
    }

    it('regression: without look-ahead, the token before each seam lacked its right context', async () => {
      const { chunks } = await run(57, withLookahead(0), rightContextDecoder(1));
      const stitched = joined(chunks);
      const whole = await wholeOf(57, 1);
      const firstSeamToken = 3; // the first chunk's last token was decoded without token 4
      let worst = 0;
      for (let i = firstSeamToken * SPT; i < (firstSeamToken + 1) * SPT - 480; i++) worst = Math.max(worst, Math.abs(stitched[i]! - whole[i]!));
      assert.ok(worst > 0.1, `the defect this option fixes no longer shows (max diff ${worst})`);
    });

    it('waits for firstChunkTokens + lookaheadTokens, decodes them all, and sends audio up to the look-ahead', async () => {
      const { chunks, calls } = await run(40, withLookahead(3));
      assert.equal(calls[0]!.length, 4 + 3, 'first decode covers the first chunk plus its right context');
      assert.equal(chunks[0]!.length, 4 * SPT - 480, 'first chunk: 4 tokens less the held crossfade');
      assert.equal(calls[1]!.length, 4 + 10 + 3, 'second decode: 4 tokens of context, 10 new, 3 ahead');
      assert.equal(calls[2]!.length, 5 + 10 + 3, 'context capped at contextTokens');
      assert.equal(calls.at(-1)!.length, 5 + 40 - 34, 'chunks sent tokens up to 34; flush decodes 5 of context and the last 6');
    });

    it('with fewer tokens than the first chunk plus the look-ahead, flush sends everything at once', async () => {
      const { chunks, calls } = await run(6, withLookahead(3));
      assert.equal(calls.length, 1);
      assert.equal(chunks.length, 1);
      assert.equal(chunks[0]!.length, 6 * SPT);
    });
  });

  describe('pieces handed on (one request, several generation calls)', () => {
    /** Streams `counts[i]` tokens per piece, each piece continuing from the previous one's handoff, as the engine does. */
    async function runPieces(counts: number[], chunking: ChunkingOptions, decode: (tokens: readonly number[]) => Promise<Float32Array>, dropTokens = 0) {
      const calls: Array<readonly number[]> = [];
      const chunks: Float32Array[] = [];
      const pieceStarts: number[] = [];
      let handoff: PieceHandoff | undefined;
      let t = 0;
      for (const count of counts) {
        pieceStarts.push(t);
        const decoder = new StreamDecoder(recording(calls, decode), chunking, 24_000, handoff);
        for (let end = t + count; t < end; t++) {
          const chunk = await decoder.push(tokenAt(t));
          if (chunk) chunks.push(chunk);
        }
        const ended = await decoder.handOff(dropTokens);
        chunks.push(ended.pcm);
        handoff = ended.handoff;
      }
      chunks.push(handoff!.heldTail);
      return { audio: joined(chunks), calls, pieceStarts, tokens: t };
    }

    it('pieces joined through handoffs give one decode of all their tokens (no gap, no fade-in at the joins)', async () => {
      const { audio, tokens } = await runPieces([7, 12, 3, 20], options, localDecoder([]));
      const whole = await localDecoder([])(Array.from({ length: tokens }, (_, t) => tokenAt(t)));
      assert.equal(audio.length, whole.length);
      for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(audio[i]! - whole[i]!) < 1e-6, `sample ${i} (token ${Math.floor(i / SPT)}) differs`);
    });

    it('the next piece decodes the previous piece’s last tokens as context and starts with a small first chunk', async () => {
      const { calls, pieceStarts } = await runPieces([20, 20], options, localDecoder([]));
      const firstOfSecond = calls.findIndex((tokens) => tokens.length === 5 + 4);
      assert.ok(firstOfSecond > 0, `no decode of 5 context + 4 new tokens among ${calls.map((c) => c.length).join(', ')}`);
      const expected = Array.from({ length: 9 }, (_, k) => tokenAt(pieceStarts[1]! - 5 + k));
      assert.deepEqual(calls[firstOfSecond], expected);
    });

    it('away from the joins, pieces equal one decode even on a decoder with right context', async () => {
      const right = 2;
      const counts = [15, 15];
      const { audio, tokens } = await runPieces(counts, { ...options, lookaheadTokens: right }, rightContextDecoder(right));
      const whole = await rightContextDecoder(right)(Array.from({ length: tokens }, (_, t) => tokenAt(t)));
      assert.equal(audio.length, whole.length);
      // The first piece's last `right` tokens were rendered without the next piece's tokens after them.
      const joinFrom = (counts[0]! - right) * SPT;
      for (let i = 0; i < whole.length; i++) {
        if (i >= joinFrom && i < counts[0]! * SPT) continue;
        assert.ok(Math.abs(audio[i]! - whole[i]!) < 1e-6, `sample ${i} (token ${Math.floor(i / SPT)}) differs`);
      }
    });

    it('dropped tokens are decoded as right context but neither emitted nor handed on', async () => {
      const { audio, calls, pieceStarts } = await runPieces([10, 10], options, localDecoder([]), 1);
      assert.equal(audio.length, (10 - 1 + 10 - 1) * SPT);
      const firstOfSecond = calls.find((tokens) => tokens.at(-1) === tokenAt(pieceStarts[1]! + 3) && tokens.length === 5 + 4)!;
      assert.deepEqual(
        firstOfSecond.slice(0, 5),
        [5, 6, 7, 8, 9].map((k) => tokenAt(k - 1)),
        'context ends before the dropped token',
      );
    });
  });
});
