import type { DeviceChoice } from '../src/engine/onnx/execution-provider.js';
import { measureGeneration } from './generation-speed.js';
import { ensureBenchModel } from './models.js';
import { printTable } from './stats.js';

// The GPU check run by bench/device.sh: the full-size model's tokens/s on each device that loads.
// fp16 because onnxruntime's CUDA GroupQueryAttention runs only in fp16/bf16 (fp32 would fall back to CPU).
const dir = await ensureBenchModel('full', 'fp16');
const tokens = Number(process.env.BENCH_TOKENS ?? 200);
const rows: Array<Array<string | number>> = [];
for (const device of ['cuda', 'webgpu', 'cpu'] as DeviceChoice[]) {
  for (const cfg of [false, true]) {
    if (device === 'cpu' && cfg) continue;
    // The step loop beside the fused decode graph, on the same device and tokens.
    for (const decode of ['step', 'fused'] as const) {
      const name = `${device}${cfg ? ' + CFG' : ''}`;
      try {
        const speed = await measureGeneration({ dir, dtype: 'fp16', device, cfg, decode, tokens: device === 'cpu' ? Math.min(tokens, 60) : tokens });
        rows.push([name, speed.decode, speed.device, speed.tokens, speed.loopTokensPerSec, speed.runTokensPerSec, speed.overheadRatio]);
      } catch (err) {
        rows.push([name, decode, `unavailable: ${(err as Error).message.split('\n')[0]?.slice(0, 100)}`, 0, Number.NaN, Number.NaN, Number.NaN]);
      }
    }
  }
}
printTable(
  'Full-size English LM (fp16 cache), speech tokens per second; the original claimed ~75 tok/s per GPU',
  ['run', 'loop', 'device', 'tokens', 'loop tok/s', 'run-only tok/s', 'wall / run'],
  rows,
);
