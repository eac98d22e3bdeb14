import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { sessionOptionsFor } from '../src/engine/onnx/session-options.js';
import type { Feeds } from '../src/engine/onnx/tensors.js';

// Where a run's time goes by operator, from onnxruntime's own profiler. A session with profiling on runs each feed
// set once to warm up and then `runs` times; every kernel event is credited to the model run it falls in. A Loop
// node's time is the time of the nodes inside it, which the profiler lists as well, so Loop itself is left out.

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

/** One profiled run's inputs, and optionally its preallocated outputs (null: let onnxruntime allocate that output). */
export interface ProfiledRun {
  feeds: Feeds;
  fetches?: Record<string, ort.Tensor | null>;
}

/** Kernel milliseconds per run by operator type, one map per feed set, on a CPU session of the graph at `path`. */
export async function kernelMsByOperator(path: string, feedSets: ProfiledRun[], runs: number): Promise<Array<Map<string, number>>> {
  const dir = mkdtempSync(join(tmpdir(), 'chatterbox-profile-'));
  try {
    const session = await ort.InferenceSession.create(path, { ...sessionOptionsFor(['cpu']), enableProfiling: true, profileFilePrefix: join(dir, 'run') });
    const measured: boolean[] = [];
    try {
      for (const { feeds, fetches } of feedSets) {
        for (let i = 0; i <= runs; i++) {
          await (fetches ? session.run(feeds, fetches) : session.run(feeds));
          measured.push(i > 0);
        }
      }
      session.endProfiling();
    } finally {
      await session.release();
    }
    const events = readdirSync(dir).flatMap((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[]);
    const modelRuns = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
    if (modelRuns.length !== measured.length) throw new Error(`the profiler recorded ${modelRuns.length} runs, not ${measured.length}`);
    const bySet = feedSets.map(() => new Map<string, number>());
    for (const event of events) {
      const op = event.args?.op_name;
      if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time') || op === undefined || op === 'Loop') continue;
      const run = modelRuns.findIndex((r) => event.ts >= r.ts && event.ts <= r.ts + r.dur);
      if (run < 0 || !measured[run]) continue;
      const totals = bySet[Math.floor(run / (runs + 1))]!;
      totals.set(op, (totals.get(op) ?? 0) + event.dur / 1000 / runs);
    }
    return bySet;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "GroupQueryAttention 82%, MatMul 16%, …": the `count` largest operators' shares of the kernel time. */
export function largestOperators(msByOperator: Map<string, number>, count: number): string {
  const total = [...msByOperator.values()].reduce((a, b) => a + b, 0);
  return [...msByOperator]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([op, ms]) => `${op} ${Math.round((100 * ms) / total)}%`)
    .join(', ');
}
