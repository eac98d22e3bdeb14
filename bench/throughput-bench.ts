import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadChatterboxModel } from '../src/engine/chatterbox/chatterbox-model.js';
import { generateSpeechTokens } from '../src/engine/chatterbox/generate-tokens.js';
import { normalizeText } from '../src/engine/chatterbox/normalize-text.js';
import { chatterboxParamInfo, toSamplerParams } from '../src/engine/chatterbox/sampler-params.js';
import { createVoiceBank, listVoiceFiles } from '../src/engine/chatterbox/voice-bank.js';
import { ensureBenchModel } from './models.js';
import { printTable } from './stats.js';

// `npm run bench -- throughput`: the fused decode graph against the step loop, single stream, on the full-size
// generated English model (CPU). Each loop runs in its own process so its RSS is its own.

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

async function measureStream(dir: string, mode: 'fused' | 'step'): Promise<StreamResult> {
  const t0 = performance.now();
  const model = await loadChatterboxModel(dir, { dtype: 'fp32', device: 'cpu', gpu: 0, decode: mode, fusedCacheDir: resolve('.cache', 'fused') });
  const loadMs = performance.now() - t0;
  try {
    const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, undefined));
    const params = Object.fromEntries(Object.entries(chatterboxParamInfo('english')).map(([k, v]) => [k, v.default]));
    const request = {
      text: model.tokenizer.encode(normalizeText('The quick brown fox jumps over the lazy dog, again and again, for the benchmark.')),
      voice: await voices.get(voices.defaultVoice),
      exaggeration: 0.5,
      cfgWeight: 0,
      sampler: toSamplerParams(params),
      seed: 42,
      maxNewTokens: TOKENS,
      stepsPerRun: { first: 10, next: 25 },
    };
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

function inChild(dir: string, mode: string): Promise<StreamResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), CHILD_FLAG, dir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveResult(JSON.parse(out.trim().split('\n').at(-1)!) as StreamResult) : reject(new Error(`${mode} run exited with ${code}`))));
  });
}

/** Fused decode graph vs step loop, single stream, full-size English model on CPU. */
export async function benchThroughput(): Promise<void> {
  const dir = await ensureBenchModel('full', 'fp32');
  const results: StreamResult[] = [];
  for (const mode of ['step', 'fused']) results.push(await inChild(dir, mode));
  const [step, fused] = results as [StreamResult, StreamResult];
  printTable(
    `Single stream, ${TOKENS} tokens, seeded English defaults without CFG, full-size English LM fp32, CPU (steps per fused run: 10, then 25)`,
    ['loop', 'load ms', 'tokens', 'first token ms', 'tok/s', 'ms/token 10-60', 'ms/token last ~40', 'RSS MiB', 'tokens sha256'],
    results.map((r) => [r.mode, r.loadMs, r.tokens, r.firstTokenMs, r.tokensPerSec, r.startMsPerToken, r.endMsPerToken, r.rssMiB, r.tokensHash]),
  );
  console.log(`fused / step tokens per second: ${(fused.tokensPerSec / step.tokensPerSec).toFixed(2)}x; same tokens: ${fused.tokensHash === step.tokensHash ? 'yes' : 'NO'}`);
}

if (process.argv[2] === CHILD_FLAG) {
  const result = await measureStream(process.argv[3]!, process.argv[4] as 'fused' | 'step');
  console.log(JSON.stringify(result));
}
