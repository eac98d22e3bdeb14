import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { createChatterboxEngine } from '../src/engine/chatterbox/chatterbox-engine.js';
import type { Engine } from '../src/engine/engine.js';
import type { DeviceChoice } from '../src/engine/onnx/execution-provider.js';
import type { ModelDtype } from '../src/model-gen/make-model.js';
import type { ModelSize } from '../src/model-gen/sizes.js';
import { ensureBenchModel } from './models.js';
import { printTable } from './stats.js';

// The GPU check run by bench/device.sh on a lent machine: the generated model through the real engine (streaming
// decoder included) on each device, the step loop beside the fused decode graph, at several numbers of concurrent
// requests: total speech tokens/s against the original's ~75 per GPU, the slowest request's own rate (25 = real
// time) and the worst time to first audio. Each row says which device and provider really ran: a device that cannot
// start falls back to CPU and the row shows it. Rows that would pass the time budget are skipped, not cut short.
// Settings (env): BENCH_SIZE full|tiny, BENCH_DTYPE, BENCH_DEVICES (comma list), BENCH_LEVELS (comma list),
// BENCH_TOKENS (per request), BENCH_BUDGET_S (whole run).

const SIZE = (process.env.BENCH_SIZE ?? 'full') as ModelSize;
// fp16: the float16 KV cache halves cache traffic, and CUDA's GroupQueryAttention runs only in fp16/bf16.
const DTYPE = (process.env.BENCH_DTYPE ?? 'fp16') as ModelDtype;
const DEVICES = (process.env.BENCH_DEVICES ?? 'webgpu,cuda,cpu').split(',') as DeviceChoice[];
const LEVELS = (process.env.BENCH_LEVELS ?? '1,4,16,32').split(',').map(Number);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 100);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_S ?? 400) * 1000;
/** The original deployment's claim, one request at a time on an RTX 3090 (docs/chatterbox-engine.md). */
const ORIGINAL_TOKENS_PER_SEC = 75;
const started = performance.now();
const left = () => BUDGET_MS - (performance.now() - started);

/** One load level's figures. */
interface LevelResult {
  tokens: number;
  totalTokensPerSec: number;
  slowestTokensPerSec: number;
  worstFirstAudioMs: number;
}

async function measureLevel(engine: Engine, requests: number): Promise<LevelResult> {
  const start = performance.now();
  const perRequest = await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      const request = {
        text: `Request number ${i + 1} of the device check, speaking one sentence.`,
        voice: engine.info.defaultVoice,
        language: engine.info.defaultLanguage,
        params: { seed: 100 + i, max_new_tokens: TOKENS, cfg_weight: 0 },
      };
      let firstAudioMs = Number.NaN;
      let tokens = 0;
      for await (const chunk of engine.synthesize(request, new AbortController().signal)) {
        if (Number.isNaN(firstAudioMs)) firstAudioMs = performance.now() - start;
        tokens = chunk.tokens ?? tokens;
      }
      return { tokens, ms: performance.now() - start, firstAudioMs };
    }),
  );
  const wall = performance.now() - start;
  const tokens = perRequest.reduce((a, r) => a + r.tokens, 0);
  return {
    tokens,
    totalTokensPerSec: (tokens / wall) * 1000,
    slowestTokensPerSec: Math.min(...perRequest.map((r) => (r.tokens / r.ms) * 1000)),
    worstFirstAudioMs: Math.max(...perRequest.map((r) => r.firstAudioMs)),
  };
}

console.log(`node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? '?'}, ${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
const dir = await ensureBenchModel(SIZE, DTYPE);
const rows: Array<Array<string | number>> = [];
const startedOn = new Map<string, string>();
for (const device of DEVICES) {
  for (const decode of ['step', 'fused'] as const) {
    const name = `${device} ${decode}`;
    if (left() <= 0) {
      rows.push([name, '', 'skipped: time budget', '', '', Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
      continue;
    }
    let engine: Engine;
    const loadStart = performance.now();
    try {
      engine = await createChatterboxEngine({
        kind: 'chatterbox',
        modelDir: dir,
        device,
        dtype: DTYPE,
        gpu: 0,
        decode,
        fusedCacheDir: resolve('.cache', 'fused'),
        maxBatchRequests: Math.max(...LEVELS),
        admitTokensPerSec: 0,
      });
    } catch (err) {
      const why = (err as Error).message.split('\n')[0]?.slice(0, 120) ?? '';
      rows.push([name, '', `unavailable: ${why}`, '', '', Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
      continue;
    }
    const details = engine.info.details;
    const ran = `${engine.info.device} (${String(details.provider)}, ${String(details.decode)})`;
    startedOn.set(
      name,
      `${ran}: ${String(details.deviceReason)}; ${String(details.decodeReason)}; load ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
    );
    try {
      for (const requests of LEVELS) {
        // A level is not started once the budget is gone; the biggest ones go last.
        if (left() <= 0) {
          rows.push([name, ran, 'skipped: time budget', requests, '', Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
          continue;
        }
        const r = await measureLevel(engine, requests);
        rows.push([
          name,
          ran,
          '',
          requests,
          r.tokens,
          r.totalTokensPerSec,
          r.totalTokensPerSec / ORIGINAL_TOKENS_PER_SEC,
          r.slowestTokensPerSec,
          r.worstFirstAudioMs,
        ]);
      }
    } finally {
      await engine.close();
    }
  }
}
console.log('\nWhat started (device, provider, loop; why):');
for (const [name, what] of startedOn) console.log(`  ${name}: ${what}`);
printTable(
  `${SIZE} generated English model, ${DTYPE}, ${TOKENS} tokens per request, seeded, no CFG, through the engine (streaming decoder included)`,
  [
    'asked',
    'ran on',
    'note',
    'requests',
    'tokens',
    'total tok/s',
    `vs ${ORIGINAL_TOKENS_PER_SEC} tok/s`,
    'slowest request tok/s (25 = real time)',
    'worst first audio ms',
  ],
  rows,
);
console.log(`\nwhole run ${((performance.now() - started) / 1000).toFixed(0)} s`);
