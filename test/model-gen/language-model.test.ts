import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { makeModel } from '../../src/model-gen/make-model.js';
import type { MakeModelOptions, ModelDtype } from '../../src/model-gen/make-model.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import type { TinyModelOptions } from '../helpers/tiny-model.js';
import { emptyCache, f32, i64, maxAbsDiff, nextCache, openGraph, run, runLm } from './ort-harness.js';
import type { Feeds, Outputs } from './ort-harness.js';

const HIDDEN = 64;
const SEQ = 12;

// Smooth, deterministic stand-ins for embeddings of `tokens` positions for `batch` rows.
function embeds(batch: number, tokens: number, phase = 0): Float32Array {
  return Float32Array.from({ length: batch * tokens * HIDDEN }, (_, i) => Math.sin(0.37 * i + phase) * 0.8);
}

function rows(data: Float32Array, start: number, count: number, batch = 1): Float32Array {
  const perRow = data.length / batch;
  const out = new Float32Array(batch * count * HIDDEN);
  for (let b = 0; b < batch; b++) {
    out.set(data.subarray(b * perRow + start * HIDDEN, b * perRow + (start + count) * HIDDEN), b * count * HIDDEN);
  }
  return out;
}

// Logits of all SEQ positions, computed in chunks: a prefill of `chunks[0]` tokens, then the rest as given.
async function logitsInChunks(dir: string, chunks: number[], batch = 1, dtype: ModelDtype = 'fp32') {
  const lm = await openGraph(dir, 'language_model', dtype);
  const input = embeds(batch, SEQ);
  const perRow: Float32Array[][] = Array.from({ length: batch }, () => []);
  let past = emptyCache(lm, batch);
  let done = 0;
  for (const size of chunks) {
    const shape = { batch, seq: size, hidden: HIDDEN };
    const out: Outputs = await runLm(lm, rows(input, done, size, batch), shape, past, done);
    const logits = out.logits!.data as Float32Array;
    const width = logits.length / batch;
    for (let b = 0; b < batch; b++) perRow[b]!.push(logits.slice(b * width, (b + 1) * width));
    past = nextCache(out);
    done += size;
  }
  return perRow.map((parts) => Float32Array.from(parts.flatMap((p) => Array.from(p))));
}

type Context = { after: (fn: () => Promise<void>) => void };

async function tempModel(t: Context, options: Omit<MakeModelOptions, 'outDir' | 'size'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'model-gen-lm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await makeModel({ size: 'tiny', outDir: dir, ...options });
  return dir;
}

describe('language model forward pass', () => {
  for (const variant of ['english', 'turbo'] as const) {
    test(`${variant}: finite logits and caches of the right shapes`, async () => {
      const dir = await ensureTinyModel({ variant });
      const lm = await openGraph(dir, 'language_model');
      const out = await runLm(lm, embeds(2, 7), { batch: 2, seq: 7, hidden: HIDDEN }, emptyCache(lm, 2), 0);
      assert.deepEqual(out.logits!.dims, [2, 7, variant === 'english' ? 8194 : 6563]);
      assert.deepEqual(out['present.1.value']!.dims, [2, 4, 7, 16]);
      for (const tensor of Object.values(out)) {
        assert.ok((tensor.data as Float32Array).every(Number.isFinite), 'all values finite');
      }
      const again = await runLm(lm, embeds(2, 1), { batch: 2, seq: 1, hidden: HIDDEN }, nextCache(out), 7);
      assert.deepEqual(again['present.0.key']!.dims, [2, 4, 8, 16]);
    });
  }

  test('identical batch rows (CFG cond/uncond layout) give identical logits', async () => {
    const lm = await openGraph(await ensureTinyModel(), 'language_model');
    const one = embeds(1, 5);
    const two = new Float32Array(2 * one.length);
    two.set(one);
    two.set(one, one.length);
    const out = await runLm(lm, two, { batch: 2, seq: 5, hidden: HIDDEN }, emptyCache(lm, 2), 0);
    const logits = out.logits!.data as Float32Array;
    assert.ok(maxAbsDiff(logits.subarray(0, logits.length / 2), logits.subarray(logits.length / 2)) < 1e-5);
  });
});

describe('incremental decoding with the KV cache equals one full pass', () => {
  const cases: Array<[string, TinyModelOptions]> = [
    ['english', {}],
    ['english with position_ids', { positionIds: true }],
    ['turbo', { variant: 'turbo' }],
  ];
  for (const [name, options] of cases) {
    test(name, async () => {
      const dir = await ensureTinyModel(options);
      const [full] = await logitsInChunks(dir, [SEQ]);
      const [stepwise] = await logitsInChunks(dir, [5, 1, 1, 1, 1, 1, 1, 1]);
      const [chunked] = await logitsInChunks(dir, [4, 3, 4, 1]);
      assert.ok(maxAbsDiff(full!, stepwise!) < 1e-4, `step-by-step differs by ${maxAbsDiff(full!, stepwise!)}`);
      assert.ok(maxAbsDiff(full!, chunked!) < 1e-4, `chunked prefill differs by ${maxAbsDiff(full!, chunked!)}`);
    });
  }

  // Token by token: ORT's CPU GroupQueryAttention rejects a multi-token step after a prefill when batch > 1.
  test('batch of two rows', async () => {
    const dir = await ensureTinyModel();
    const full = await logitsInChunks(dir, [SEQ], 2);
    const stepwise = await logitsInChunks(dir, [6, 1, 1, 1, 1, 1, 1], 2);
    for (let b = 0; b < 2; b++) assert.ok(maxAbsDiff(full[b]!, stepwise[b]!) < 1e-4);
  });

  test('fp16 KV cache', async () => {
    const dir = await ensureTinyModel({ dtype: 'fp16' });
    const [full] = await logitsInChunks(dir, [SEQ], 1, 'fp16');
    const [stepwise] = await logitsInChunks(dir, [5, 1, 1, 1, 1, 1, 1, 1], 1, 'fp16');
    // Both paths round K and V to fp16 identically; only summation order differs.
    assert.ok(maxAbsDiff(full!, stepwise!) < 1e-3, `differs by ${maxAbsDiff(full!, stepwise!)}`);
    const [fp32] = await logitsInChunks(await ensureTinyModel(), [SEQ]);
    assert.ok(maxAbsDiff(full!, fp32!) < 0.05, 'fp16 cache stays close to fp32');
  });

  for (const dtype of ['q4', 'q4f16'] as const) {
    test(`${dtype}: 4-bit weights of the same model, close to fp32, stepwise as in one pass`, async () => {
      const dir = await ensureTinyModel({ dtype });
      const [full] = await logitsInChunks(dir, [SEQ], 1, dtype);
      const [stepwise] = await logitsInChunks(dir, [5, 1, 1, 1, 1, 1, 1, 1], 1, dtype);
      assert.ok(maxAbsDiff(full!, stepwise!) < 1e-2, `differs by ${maxAbsDiff(full!, stepwise!)}`);
      const [fp32] = await logitsInChunks(await ensureTinyModel(), [SEQ]);
      // The same random weights rounded to 16 levels per block: near the fp32 logits, yet not identical to them.
      const spread = Math.max(...fp32!) - Math.min(...fp32!.filter((x) => x > -1e3));
      const diff = maxAbsDiff(full!, fp32!);
      assert.ok(diff > 1e-4 && diff < 0.25 * spread, `q4 differs from fp32 by ${diff} (logits spread ${spread})`);
    });
  }
});

describe('batching requests of different lengths', () => {
  // GroupQueryAttention reads only how many ones each mask row has (seqlens_k) and expects each row's valid cache
  // entries first: a shorter request's cache is right-padded and its new token lands right after its own tokens.
  test('a right-padded shorter cache row decodes like the request alone', async () => {
    const lm = await openGraph(await ensureTinyModel(), 'language_model');
    const one = { batch: 1, seq: 1, hidden: HIDDEN };
    const prefill = async (tokens: number, phase: number) => runLm(lm, embeds(1, tokens, phase), { ...one, seq: tokens }, emptyCache(lm, 1), 0);
    const [long, short] = [await prefill(5, 0), await prefill(3, 1)];
    const step = [embeds(1, 1, 2), embeds(1, 1, 3)];
    const alone = [
      (await runLm(lm, step[0]!, one, nextCache(long), 5)).logits!.data as Float32Array,
      (await runLm(lm, step[1]!, one, nextCache(short), 3)).logits!.data as Float32Array,
    ];
    const past: Feeds = {};
    for (const [name, longCache] of Object.entries(nextCache(long))) {
      const [, heads, , headDim] = longCache.dims as [number, number, number, number];
      const longRows = longCache.data as Float32Array;
      const shortRows = nextCache(short)[name]!.data as Float32Array;
      const padded = new Float32Array(2 * heads * 5 * headDim);
      for (let h = 0; h < heads; h++) {
        padded.set(longRows.subarray(h * 5 * headDim, (h + 1) * 5 * headDim), h * 5 * headDim);
        padded.set(shortRows.subarray(h * 3 * headDim, (h + 1) * 3 * headDim), (heads + h) * 5 * headDim);
      }
      past[name] = f32(padded, [2, heads, 5, headDim]);
    }
    const input = new Float32Array(2 * HIDDEN);
    input.set(step[0]!);
    input.set(step[1]!, HIDDEN);
    const mask = i64([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1], [2, 6]);
    const batched = await run(lm, { ...past, inputs_embeds: f32(input, [2, 1, HIDDEN]), attention_mask: mask });
    const width = alone[0]!.length;
    const data = batched.logits!.data as Float32Array;
    assert.ok(maxAbsDiff(data.subarray(0, width), alone[0]!) < 1e-4);
    assert.ok(maxAbsDiff(data.subarray(width), alone[1]!) < 1e-4);
  });
});

describe('attention implementations and positions agree', () => {
  for (const variant of ['english', 'turbo'] as const) {
    test(`${variant}: plain-op attention matches GroupQueryAttention`, async (t) => {
      const standard = await tempModel(t, { variant, attention: 'standard' });
      const [expected] = await logitsInChunks(await ensureTinyModel({ variant }), [SEQ]);
      const [actual] = await logitsInChunks(standard, [7, 1, 1, 1, 1, 1]);
      assert.ok(maxAbsDiff(expected!, actual!) < 1e-4, `differs by ${maxAbsDiff(expected!, actual!)}`);
    });
  }

  test('a position_ids input equal to the mask positions changes nothing', async () => {
    const withInput = await openGraph(await ensureTinyModel({ positionIds: true }), 'language_model');
    const fromMask = await openGraph(await ensureTinyModel(), 'language_model');
    const shape = { batch: 1, seq: SEQ, hidden: HIDDEN };
    const a = (await runLm(withInput, embeds(1, SEQ), shape, emptyCache(withInput, 1), 0)).logits!.data as Float32Array;
    const b = (await runLm(fromMask, embeds(1, SEQ), shape, emptyCache(fromMask, 1), 0)).logits!.data as Float32Array;
    assert.ok(maxAbsDiff(a, b) < 1e-5);
  });

  test('GroupQueryAttention honours a position_ids input like the plain-op rotary does', async (t) => {
    // RoPE only sees relative positions, so a constant shift changes nothing: use uneven positions instead.
    const uneven = Array.from({ length: SEQ }, (_, i) => Math.floor(i / 2));
    const shape = { batch: 1, seq: SEQ, hidden: HIDDEN };
    const fused = await openGraph(await ensureTinyModel({ positionIds: true }), 'language_model');
    const plainDir = await tempModel(t, { variant: 'english', positionIds: true, attention: 'standard' });
    const plain = await openGraph(plainDir, 'language_model');
    const a = (await runLm(fused, embeds(1, SEQ), shape, emptyCache(fused, 1), 0, uneven)).logits!.data as Float32Array;
    const b = (await runLm(plain, embeds(1, SEQ), shape, emptyCache(plain, 1), 0, uneven)).logits!.data as Float32Array;
    const regular = (await runLm(fused, embeds(1, SEQ), shape, emptyCache(fused, 1), 0)).logits!.data as Float32Array;
    assert.ok(maxAbsDiff(a, b) < 1e-4, `differs by ${maxAbsDiff(a, b)}`);
    assert.ok(maxAbsDiff(a, regular) > 1e-3, 'positions reach the rotary embedding');
  });
});
