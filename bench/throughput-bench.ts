import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadChatterboxModel, type ChatterboxModel } from '../src/engine/chatterbox/chatterbox-model.js';
import { generateSpeechTokens, type GenerationRequest } from '../src/engine/chatterbox/generate-tokens.js';
import { normalizeText } from '../src/engine/chatterbox/normalize-text.js';
import { chatterboxParamInfo, toSamplerParams } from '../src/engine/chatterbox/sampler-params.js';
import { createVoiceBank, listVoiceFiles } from '../src/engine/chatterbox/voice-bank.js';
import type { BatchProfileSnapshot } from '../src/engine/chatterbox/fused/batch-profile.js';
import { tokensPerSecAt } from '../src/engine/engine-capacity.js';
import { ensureBenchModel } from './models.js';
import { printTable } from './stats.js';

// `npm run bench -- throughput`: the fused decode graph against the step loop on the full-size generated English
// model (CPU): single stream, then 1, 2, 4 and 8 concurrent requests. Each loop runs in its own process so its RSS is
// its own. BENCH_TOKENS, BENCH_CONCURRENT_TOKENS set the lengths; BENCH_CONCURRENCY=0 skips the concurrent part,
// BENCH_SINGLE=0 the single stream; BENCH_LEVELS (e.g. "1,4,8") picks the concurrent loads; BENCH_MODES the loops
// (default "step,fused-solo-prompts+fused").

/** What one loop measured. */
interface StreamResult {
  mode: string;
  loadMs: number;
  tokens: number;
  firstTokenMs: number;
  tokensPerSec: number;
  startMsPerToken: number;
  endMsPerToken: number;
  rssMiB: number;
  tokensHash: string;
}

const TOKENS = Number(process.env.BENCH_TOKENS ?? 300);
const CHILD_FLAG = '--throughput-child';

/** How concurrent requests run: the step loop, or the fused graph with prompts batched or (as before) alone. */
type ConcurrentMode = 'step' | 'fused' | 'fused-solo-prompts';

const load = (dir: string, mode: ConcurrentMode) =>
  loadChatterboxModel(dir, {
    dtype: 'fp32',
    device: 'cpu',
    gpu: 0,
    decode: mode === 'step' ? 'step' : 'fused',
    batchPrompts: mode !== 'fused-solo-prompts',
    fusedCacheDir: resolve('.cache', 'fused'),
    maxBatchRequests: 8,
    admitTokensPerSec: 0,
  });

/** The benchmark's request: seeded English defaults without CFG, `tokens` long (the model never stops before 1500). */
async function benchRequest(
  model: ChatterboxModel,
  tokens: number,
  seed: number,
  text = 'The quick brown fox jumps over the lazy dog, again and again, for the benchmark.',
): Promise<GenerationRequest> {
  const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, undefined));
  const params = Object.fromEntries(Object.entries(chatterboxParamInfo('english')).map(([k, v]) => [k, v.default]));
  return {
    text: model.tokenizer.encode(normalizeText(text)),
    voice: await voices.get(voices.defaultVoice),
    exaggeration: 0.5,
    cfgWeight: 0,
    sampler: toSamplerParams(params),
    seed,
    maxNewTokens: tokens,
    stepsPerRun: { first: 10, next: 25 },
  };
}

async function measureStream(dir: string, mode: 'fused' | 'step'): Promise<StreamResult> {
  const t0 = performance.now();
  const model = await load(dir, mode);
  const loadMs = performance.now() - t0;
  try {
    const request = await benchRequest(model, TOKENS, 42);
    const times: number[] = [];
    const tokens: number[] = [];
    const start = performance.now();
    for await (const token of generateSpeechTokens(model, request, new AbortController().signal)) {
      times.push(performance.now() - start);
      tokens.push(token);
    }
    // Windows end on fused run boundaries (10, then every 25), so both loops are timed over whole runs.
    const cost = (from: number, to: number) => (times[to - 1]! - times[from - 1]!) / (to - from);
    const last = times.length;
    return {
      mode,
      loadMs,
      tokens: last,
      firstTokenMs: times[0]!,
      tokensPerSec: (last / times[last - 1]!) * 1000,
      startMsPerToken: cost(10, 60),
      endMsPerToken: cost(Math.max(10, 10 + 25 * Math.ceil((last - 60) / 25)), last),
      rssMiB: process.memoryUsage().rss / 2 ** 20,
      tokensHash: createHash('sha256').update(tokens.join(',')).digest('hex').slice(0, 12),
    };
  } finally {
    await model.release();
  }
}

/** One load level: N requests at once. */
interface ConcurrencyResult {
  mode: string;
  requests: number;
  totalTokensPerSec: number;
  /** The slowest request's own tokens per second (25 = real time). */
  slowestTokensPerSec: number;
  /** The latest time to first audio of the N requests: until its first chunk of tokens (10) was generated. */
  worstFirstChunkMs: number;
  /** What the batcher's learned estimate (admission by capacity) says each of N requests gets; NaN for the step loop. */
  estimatedTokensPerSec: number;
  wallMs: number;
  /** CPU time this process spent (all threads) per token drawn: unlike wall time, barely moved by other load. */
  cpuMsPerToken: number;
  /** Where the batcher's time went at this load (fused only). */
  profile: BatchProfileSnapshot | undefined;
}

const CONCURRENT_TOKENS = Number(process.env.BENCH_CONCURRENT_TOKENS ?? 60);
const LEVELS = (process.env.BENCH_LEVELS ?? '1,2,4,8').split(',').map(Number);

/**
 * Every load level on each of `modes`, one model per mode in this process; at each level the modes run back to
 * back, so a change in the machine's other load hits both sides of a comparison alike.
 */
async function measureConcurrency(dir: string, modes: ConcurrentMode[]): Promise<ConcurrencyResult[]> {
  const models: ChatterboxModel[] = [];
  try {
    for (const mode of modes) models.push(await load(dir, mode));
    const results: ConcurrencyResult[] = [];
    for (const n of LEVELS) {
      for (const [i, mode] of modes.entries()) results.push(await measureLevel(models[i]!, mode, n));
    }
    return results;
  } finally {
    for (const model of models) await model.release();
  }
}

async function measureLevel(model: ChatterboxModel, mode: ConcurrentMode, n: number): Promise<ConcurrencyResult> {
  const requests = await Promise.all(
    Array.from({ length: n }, (_, i) => benchRequest(model, CONCURRENT_TOKENS, 100 + i, `Request number ${i + 1} of the load test, speaking a sentence.`)),
  );
  model.batcher?.profile({ reset: true });
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const perRequest = await Promise.all(
    requests.map(async (request) => {
      let count = 0;
      let firstChunkMs = Number.NaN;
      for await (const _ of generateSpeechTokens(model, request, new AbortController().signal)) {
        count += 1;
        if (count === 10) firstChunkMs = performance.now() - start;
      }
      return { count, ms: performance.now() - start, firstChunkMs };
    }),
  );
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const total = perRequest.reduce((a, r) => a + r.count, 0);
  return {
    mode,
    requests: n,
    totalTokensPerSec: (total / wall) * 1000,
    slowestTokensPerSec: Math.min(...perRequest.map((r) => (r.count / r.ms) * 1000)),
    worstFirstChunkMs: Math.max(...perRequest.map((r) => r.firstChunkMs)),
    estimatedTokensPerSec: (model.batcher && tokensPerSecAt(model.batcher.capacity(), n)) ?? Number.NaN,
    wallMs: wall,
    cpuMsPerToken: (cpu.user + cpu.system) / 1000 / total,
    profile: model.batcher?.profile(),
  };
}

function inChild<T>(dir: string, mode: string): Promise<T> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), CHILD_FLAG, dir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolveResult(JSON.parse(out.trim().split('\n').at(-1)!) as T) : reject(new Error(`${mode} run exited with ${code}`)),
    );
  });
}

/** Fused decode graph vs step loop, single stream, full-size English model on CPU. */
export async function benchThroughput(): Promise<void> {
  const dir = await ensureBenchModel('full', 'fp32');
  if (process.env.BENCH_SINGLE !== '0') await benchSingleStream(dir);
  if (process.env.BENCH_CONCURRENCY !== '0') await benchConcurrency(dir);
}

async function benchSingleStream(dir: string): Promise<void> {
  const results: StreamResult[] = [];
  for (const mode of ['step', 'fused']) results.push(await inChild<StreamResult>(dir, mode));
  const [step, fused] = results as [StreamResult, StreamResult];
  printTable(
    `Single stream, ${TOKENS} tokens, seeded English defaults without CFG, full-size English LM fp32, CPU (steps per fused run: 10, then 25)`,
    ['loop', 'load ms', 'tokens', 'first token ms', 'tok/s', 'ms/token 10-60', 'ms/token last ~40', 'RSS MiB', 'tokens sha256'],
    results.map((r) => [r.mode, r.loadMs, r.tokens, r.firstTokenMs, r.tokensPerSec, r.startMsPerToken, r.endMsPerToken, r.rssMiB, r.tokensHash]),
  );
  console.log(
    `fused / step tokens per second: ${(fused.tokensPerSec / step.tokensPerSec).toFixed(2)}x; same tokens: ${fused.tokensHash === step.tokensHash ? 'yes' : 'NO'}`,
  );
}

async function benchConcurrency(dir: string): Promise<void> {
  // Modes joined by '+' share one process and alternate at each level (a fair ratio on a busy machine).
  const groups = (process.env.BENCH_MODES ?? 'step,fused-solo-prompts+fused').split(',');
  const levels: ConcurrencyResult[] = [];
  for (const group of groups) levels.push(...(await inChild<ConcurrencyResult[]>(dir, `concurrent-${group}`)));
  const one = (mode: string) => levels.find((r) => r.mode === mode && r.requests === 1);
  const single = (mode: string) => one(mode)?.totalTokensPerSec ?? Number.NaN;
  printTable(
    `Concurrent requests, ${CONCURRENT_TOKENS} tokens each, same model and machine (step: requests take turns step by step; fused: rows of shared runs, ` +
      'prompts of requests arriving together as one run; fused-solo-prompts: each prompt and first chunk run alone, as before)',
    [
      'loop',
      'requests',
      'total tok/s',
      'vs 1 request',
      'CPU ms/token',
      'vs 1 request (CPU)',
      'slowest request tok/s (25 = real time)',
      'admission estimate tok/s',
      'worst first chunk ms',
    ],
    levels.map((r) => [
      r.mode,
      r.requests,
      r.totalTokensPerSec,
      r.totalTokensPerSec / single(r.mode),
      r.cpuMsPerToken,
      (one(r.mode)?.cpuMsPerToken ?? Number.NaN) / r.cpuMsPerToken,
      r.slowestTokensPerSec,
      r.estimatedTokensPerSec,
      r.worstFirstChunkMs,
    ]),
  );
  const profiled = levels.filter((r) => r.profile !== undefined);
  if (profiled.length === 0) return;
  const runs = (table: BatchProfileSnapshot['promptRunsBySize']) =>
    table.map(([size, t]) => `${t.runs}×${size}: ${t.ms.toFixed(0)} ms, ${(t.ms / Math.max(1, t.tokens)).toFixed(0)} ms/tok`).join('; ') || '-';
  printTable(
    "Where the fused batcher's wall time went (prompt runs include their first chunk; runs as count×requests: total, per token drawn)",
    ['loop', 'requests', 'wall ms', 'prompt runs', 'decode runs', 'embed ms', 'merge ms (count)', 'feeds+split ms', 'pump wait ms', 'other ms'],
    profiled.map((r) => {
      const p = r.profile!;
      const sum = (table: BatchProfileSnapshot['promptRunsBySize']) => table.reduce((a, [, t]) => a + t.ms, 0);
      const accounted = sum(p.promptRunsBySize) + sum(p.decodeRunsBySize) + p.promptEmbedMs + p.mergeMs + p.feedsMs + p.waitMs;
      return [
        r.mode,
        r.requests,
        r.wallMs,
        runs(p.promptRunsBySize),
        runs(p.decodeRunsBySize),
        p.promptEmbedMs,
        `${p.mergeMs.toFixed(0)} (${p.merges})`,
        p.feedsMs,
        p.waitMs,
        r.wallMs - accounted,
      ];
    }),
  );
}

if (process.argv[2] === CHILD_FLAG) {
  const what = process.argv[4]!;
  const result = what.startsWith('concurrent-')
    ? await measureConcurrency(process.argv[3]!, what.slice('concurrent-'.length).split('+') as ConcurrentMode[])
    : await measureStream(process.argv[3]!, what as 'fused' | 'step');
  console.log(JSON.stringify(result));
}
