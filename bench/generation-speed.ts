import type ort from 'onnxruntime-node';
import { loadChatterboxModel, type ChatterboxModel } from '../src/engine/chatterbox/chatterbox-model.js';
import { generateSpeechTokens } from '../src/engine/chatterbox/generate-tokens.js';
import { normalizeText } from '../src/engine/chatterbox/normalize-text.js';
import { chatterboxParamInfo, toSamplerParams } from '../src/engine/chatterbox/sampler-params.js';
import { createVoiceBank, listVoiceFiles } from '../src/engine/chatterbox/voice-bank.js';
import type { DeviceChoice } from '../src/engine/onnx/execution-provider.js';
import type { ModelDtype } from '../src/engine/onnx/model-files.js';

/** Wraps every session's run() to add up the time spent inside onnxruntime. */
function timeRuns(model: ChatterboxModel): { totalMs: () => number; reset: () => void } {
  let total = 0;
  for (const session of [...Object.values(model.sessions), ...(model.fused ? [model.fused.session] : [])] as ort.InferenceSession[]) {
    const run = session.run.bind(session);
    session.run = (async (...args: Parameters<typeof run>) => {
      const t0 = performance.now();
      try {
        return await run(...args);
      } finally {
        total += performance.now() - t0;
      }
    }) as typeof session.run;
  }
  return { totalMs: () => total, reset: () => (total = 0) };
}

export interface GenerationSpeed {
  device: string;
  /** The generation loop that ran ('fused' or 'step'). */
  decode: string;
  tokens: number;
  /** Speech tokens per second of our loop, wall clock. */
  loopTokensPerSec: number;
  /** Tokens per second if only session.run time counted: the loop's ceiling. */
  runTokensPerSec: number;
  /** Wall time ÷ time inside session.run: 1.00 means no overhead of ours. */
  overheadRatio: number;
}

/** Generates `tokens` speech tokens (seeded, English defaults) and times the loop against the bare session.run sum. */
export async function measureGeneration(options: {
  dir: string;
  dtype: ModelDtype;
  device: DeviceChoice;
  cfg: boolean;
  tokens: number;
  decode?: 'fused' | 'step';
}): Promise<GenerationSpeed> {
  const model = await loadChatterboxModel(options.dir, { dtype: options.dtype, device: options.device, gpu: 0, decode: options.decode ?? 'step' });
  try {
    const voices = createVoiceBank(model.sessions.speech_encoder, listVoiceFiles(model.files.defaultVoice, undefined));
    const params = Object.fromEntries(Object.entries(chatterboxParamInfo('english')).map(([k, v]) => [k, v.default]));
    const request = {
      text: model.tokenizer.encode(normalizeText('The quick brown fox jumps over the lazy dog, again and again, for the benchmark.')),
      voice: await voices.get(voices.defaultVoice),
      exaggeration: 0.5,
      cfgWeight: options.cfg ? 0.5 : 0,
      sampler: toSamplerParams(params),
      seed: 42,
      maxNewTokens: options.tokens,
    };
    const timer = timeRuns(model);
    for await (const _ of generateSpeechTokens(model, { ...request, maxNewTokens: 3 }, new AbortController().signal));
    timer.reset();
    const t0 = performance.now();
    let count = 0;
    for await (const _ of generateSpeechTokens(model, request, new AbortController().signal)) count += 1;
    const wallMs = performance.now() - t0;
    const runMs = timer.totalMs();
    return {
      device: model.device,
      decode: model.decode.mode,
      tokens: count,
      loopTokensPerSec: (count / wallMs) * 1000,
      runTokensPerSec: (count / runMs) * 1000,
      overheadRatio: wallMs / runMs,
    };
  } finally {
    await model.release();
  }
}
