import type ort from 'onnxruntime-node';
import { TtsClient } from '../client/node/tts-client.js';
import { loadChatterboxModel } from '../src/engine/chatterbox/chatterbox-model.js';
import { runSession } from '../src/engine/onnx/half-bits.js';
import { emptyCacheTensor, floatTensor, int64Tensor, type Feeds } from '../src/engine/onnx/tensors.js';
import { spawnWorkerProcess } from '../test/helpers/worker.js';
import { measureGeneration } from './generation-speed.js';
import { ensureBenchModel } from './models.js';
import { mean, printTable, quantile } from './stats.js';

async function loopOverhead(size: 'tiny' | 'full', tokens: number): Promise<Array<string | number>> {
  const speed = await measureGeneration({ dir: await ensureBenchModel(size, 'fp32'), dtype: 'fp32', device: 'cpu', cfg: true, tokens });
  return [`${size} english, CFG (batch 2)`, speed.tokens, speed.loopTokensPerSec, speed.runTokensPerSec, speed.overheadRatio];
}

/** Per-step LM cost as the context grows, for one cache dtype: mean ms per step in context buckets. */
async function stepCost(dtype: 'fp32' | 'fp16', steps: number, bucket: number): Promise<number[]> {
  const dir = await ensureBenchModel('full', dtype);
  const model = await loadChatterboxModel(dir, { dtype, device: 'cpu', gpu: 0 });
  const { lm } = model;
  let feeds: Feeds = {};
  for (let layer = 0; layer < lm.layers; layer++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = emptyCacheTensor(lm.cacheType, 1, lm.kvHeads, lm.headDim);
  }
  const times: number[] = [];
  const embeds = Float32Array.from({ length: lm.hidden }, (_, i) => Math.sin(i) * 0.1);
  for (let length = 1; length <= steps; length++) {
    feeds.inputs_embeds = floatTensor(embeds, [1, 1, lm.hidden], lm.embedsType);
    feeds.attention_mask = int64Tensor(new Array<number>(length).fill(1), [1, length]);
    if (lm.hasPositionIds) feeds.position_ids = int64Tensor([length - 1], [1, 1]);
    const t0 = performance.now();
    const out = await runSession(model.sessions.language_model!, feeds);
    times.push(performance.now() - t0);
    const past: Feeds = {};
    for (const [name, tensor] of Object.entries(out))
      if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = tensor as ort.Tensor;
    feeds = past;
  }
  await model.release();
  const buckets: number[] = [];
  for (let start = 0; start < steps; start += bucket) buckets.push(mean(times.slice(start, start + bucket)));
  return buckets;
}

async function tinyWorkerLatency(): Promise<Array<string | number>> {
  const dir = await ensureBenchModel('tiny', 'fp32');
  const worker = await spawnWorkerProcess(['--model', dir, '--device', 'cpu'], { CHATTERBOX_LOG_LEVEL: 'warn' });
  try {
    const client = await TtsClient.connect(`ws://127.0.0.1:${worker.port}`);
    const ttfa: number[] = [];
    const rtf: number[] = [];
    for (let i = 0; i < 6; i++) {
      const stream = client.speak('Hello there. This sentence measures time to first audio on the tiny model.', { params: { seed: i + 1 } });
      for await (const _ of stream);
      const done = await stream.done;
      if (i > 0) {
        ttfa.push(done.metrics.ttfaMs);
        rtf.push(done.metrics.rtf);
      }
    }
    await client.close();
    return ['tiny english via worker', ttfa.length, quantile(ttfa, 0.5), quantile(ttfa, 0.99), mean(rtf)];
  } finally {
    worker.child.kill('SIGTERM');
  }
}

/** Chatterbox engine: loop overhead vs bare session.run time, per-step cost vs context (fp32 vs fp16 cache), tiny-model TTFA/RTF. */
export async function benchEngine(): Promise<void> {
  const overhead = [await loopOverhead('tiny', 150), await loopOverhead('full', 40)];
  printTable('Generation loop vs bare session.run (CPU)', ['model', 'tokens', 'loop tok/s', 'run-only tok/s', 'wall / run time'], overhead);

  const steps = Number(process.env.BENCH_STEPS ?? 300);
  const bucket = 50;
  const fp32 = await stepCost('fp32', steps, bucket);
  const fp16 = await stepCost('fp16', steps, bucket);
  printTable(
    'Full-size LM (30 layers, hidden 1024) per-step cost vs context, batch 1, CPU',
    ['context tokens', 'fp32 cache ms', 'fp16 cache ms', 'fp16 / fp32'],
    fp32.map((ms, i) => [`${i * bucket + 1}-${(i + 1) * bucket}`, ms, fp16[i]!, fp16[i]! / ms]),
  );

  printTable('Streaming on the tiny model (CPU)', ['path', 'requests', 'ttfa p50 ms', 'ttfa p99 ms', 'rtf mean'], [await tinyWorkerLatency()]);
}
