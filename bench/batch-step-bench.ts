import { resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { loadChatterboxModel, type ChatterboxModel } from '../src/engine/chatterbox/chatterbox-model.js';
import type { Feeds } from '../src/engine/onnx/tensors.js';
import { ensureBenchModel } from './models.js';
import { kernelMsByOperator, largestOperators, type ProfiledRun } from './operator-profile.js';
import { printTable } from './stats.js';

// `npm run bench -- batch-step`: what one decode step costs at 1, 4 and 8 rows, in the plain language-model session
// (step loop) and in the fused graph, with the same context length: the ceiling that batching can reach on this
// machine, whatever the scheduling. CPU time (all threads) is printed beside wall time, since a shared machine
// moves the latter far more. BENCH_CONTEXT sets the context length (default 120). A second table splits each step's
// kernel time by operator, which shows what grows with the rows, beside the same step with its cache written in place.

const CONTEXT = Number(process.env.BENCH_CONTEXT ?? 120);
const ROWS = [1, 4, 8];
const FUSED_STEPS = 5;
const REPEATS = 3;

const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
const filled = (type: 'float32' | 'float64', length: number, dims: number[], value: number) =>
  type === 'float32' ? new ort.Tensor(type, new Float32Array(length).fill(value), dims) : new ort.Tensor(type, new Float64Array(length).fill(value), dims);

/** A decode step's feeds with `rows` rows over a cache of CONTEXT positions. */
function stepFeeds(model: ChatterboxModel, rows: number): Feeds {
  const { hidden, kvHeads, headDim } = model.lm;
  const feeds: Feeds = {
    inputs_embeds: filled('float32', rows * hidden, [rows, 1, hidden], 0.01),
    attention_mask: int64(Array<number>(rows * (CONTEXT + 1)).fill(1), [rows, CONTEXT + 1]),
  };
  const names = (model.fused?.session ?? model.sessions.language_model!).inputNames.filter((name) => name.startsWith('past_key_values.'));
  for (const name of names) feeds[name] = filled('float32', rows * kvHeads * CONTEXT * headDim, [rows, kvHeads, CONTEXT, headDim], 0.01);
  return feeds;
}

/**
 * A step whose `present.*` outputs are preallocated in the very buffers its `past_key_values.*` come in, with room for
 * the new position: onnxruntime's CPU attention then writes the new entries in place instead of copying the cache.
 * The binding still copies each output back into a new JS buffer afterwards, so only the kernel time tells.
 */
function inPlaceStep(model: ChatterboxModel, rows: number): ProfiledRun {
  const { kvHeads, headDim } = model.lm;
  const feeds = stepFeeds(model, rows);
  const fetches: Record<string, ort.Tensor | null> = { logits: null };
  for (const name of Object.keys(feeds).filter((n) => n.startsWith('past_key_values.'))) {
    const cache = filled('float32', rows * kvHeads * (CONTEXT + 1) * headDim, [rows, kvHeads, CONTEXT + 1, headDim], 0.01);
    feeds[name] = cache;
    fetches[name.replace('past_key_values.', 'present.')] = cache;
  }
  return { feeds, fetches };
}

/** The fused graph's per-request inputs: English defaults without CFG, FUSED_STEPS steps each. */
function fusedFeeds(model: ChatterboxModel, rows: number): Feeds {
  const ids = Array.from({ length: rows }, (_, i) => i);
  return {
    ...stepFeeds(model, rows),
    embed_positions: int64(Array<number>(rows).fill(CONTEXT), [rows]),
    exaggeration: filled('float32', rows, [rows], 0.5),
    seen_tokens: new ort.Tensor('bool', new Uint8Array(rows * model.lm.vocab), [rows, model.lm.vocab]),
    row_requests: int64(ids, [rows]),
    prompt_last: int64(Array<number>(rows).fill(0), [rows]),
    cond_rows: int64(ids, [rows]),
    uncond_rows: int64(ids, [rows]),
    cfg_weight: filled('float32', rows, [rows], 0),
    repetition_penalty: filled('float32', rows, [rows], 1.2),
    inv_temperature: filled('float64', rows, [rows], 1 / 0.8),
    min_p_offset: filled('float64', rows, [rows], 0.8 * Math.log(0.05)),
    top_k: int64(Array<number>(rows).fill(0), [rows]),
    top_p: filled('float64', rows, [rows], 1),
    uniforms: filled('float64', rows * FUSED_STEPS, [rows, FUSED_STEPS], 0.5),
    row_steps: int64(Array<number>(rows).fill(FUSED_STEPS), [rows]),
  };
}

/** Median wall and CPU milliseconds per step of `steps`-step runs. */
async function timeRuns(session: ort.InferenceSession, feeds: Feeds, steps: number): Promise<{ wallMs: number; cpuMs: number }> {
  await session.run(feeds);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await session.run(feeds);
    wall.push((performance.now() - start) / steps);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000 / steps);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

/** Decode step cost by rows, step session and fused graph, full-size English model on CPU. */
export async function benchBatchStep(): Promise<void> {
  const dir = await ensureBenchModel('full', 'fp32');
  const rows: Array<Array<string | number>> = [];
  const operatorRows: Array<Array<string | number>> = [];
  for (const decode of ['step', 'fused'] as const) {
    const model = await loadChatterboxModel(dir, { dtype: 'fp32', device: 'cpu', gpu: 0, decode, fusedCacheDir: resolve('.cache', 'fused') });
    const steps = decode === 'fused' ? FUSED_STEPS : 1;
    const feedSets = ROWS.map((n) => (decode === 'fused' ? fusedFeeds(model, n) : stepFeeds(model, n)));
    const inPlaceSets = decode === 'step' ? ROWS.map((n) => inPlaceStep(model, n)) : [];
    const graphPath = model.fused?.path ?? model.files.graphs.language_model!.path;
    try {
      const session = model.fused?.session ?? model.sessions.language_model!;
      let single: { wallMs: number; cpuMs: number } | undefined;
      for (const [i, n] of ROWS.entries()) {
        const cost = await timeRuns(session, feedSets[i]!, steps);
        single ??= cost;
        rows.push([decode, n, cost.wallMs, cost.wallMs / single.wallMs, cost.cpuMs, cost.cpuMs / single.cpuMs, (n * single.cpuMs) / cost.cpuMs]);
      }
    } finally {
      await model.release();
    }
    const profiles = await kernelMsByOperator(graphPath, [...feedSets.map((feeds) => ({ feeds })), ...inPlaceSets], REPEATS);
    for (const [i, profile] of profiles.entries()) {
      const kernelMs = [...profile.values()].reduce((a, b) => a + b, 0) / steps;
      operatorRows.push([i < ROWS.length ? decode : 'step, cache in place', ROWS[i % ROWS.length]!, kernelMs, largestOperators(profile, 3)]);
    }
  }
  const setting = `${CONTEXT} tokens of context, full-size English LM fp32, CPU`;
  printTable(
    `One decode step by rows, ${setting} (fused: ${FUSED_STEPS} steps per run; median of ${REPEATS})`,
    ['loop', 'rows', 'wall ms/step', 'vs 1 row', 'CPU ms/step', 'vs 1 row (CPU)', 'most tokens/s vs 1 request (CPU)'],
    rows,
  );
  printTable(
    `Where a decode step's kernel time goes, by operator (onnxruntime's profiler), ${setting}`,
    ['loop', 'rows', 'kernel ms/step', 'largest operators'],
    operatorRows,
  );
}
