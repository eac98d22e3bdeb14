// Continuous batching on the fused decode graph: every request generating on a model shares its decode runs as rows
// of one batch. New requests waiting together run their prompts (and their first chunk of steps) as one batch of
// right-padded rows (see prompt-batch.ts), then join the shared batch at the next run boundary; a finished or
// cancelled one leaves at the next boundary without disturbing the others. When a run of several requests fails,
// each retries alone, so only the one whose run fails sees the error. A request that would push the running ones
// below real time is refused (SERVER_BUSY, retryable): see batch-capacity.ts.
import type ort from 'onnxruntime-node';
import { TtsError } from '../../../protocol/errors.js';
import { int64Tensor, makeTensor, type Feeds } from '../../onnx/tensors.js';
import type { ChatterboxModel } from '../chatterbox-model.js';
import { DEFAULT_STEPS_PER_RUN, rowsOf, type GenerationRequest, type StepsPerRun } from '../generation-request.js';
import { embedPrompt, runGraph, type PromptEmbeds } from '../prompt-embeds.js';
import { createRandom } from '../seeded-random.js';
import { TOKENS } from '../text-tokenizer.js';
import type { EngineCapacity } from '../../engine-capacity.js';
import { BatchCapacity } from './batch-capacity.js';
import { Member } from './batch-member.js';
import { BatchProfile, type BatchProfileSnapshot } from './batch-profile.js';
import { requestFeeds } from './batch-feeds.js';
import { mergeStates, splitOutputs } from './batch-state.js';
import type { FusedDecoder } from './fused-decoder.js';
import { promptBatchFeeds } from './prompt-batch.js';

/** How requests share runs. */
export interface BatchOptions {
  /** Most requests in one run; the rest wait their turn (round robin). */
  maxBatchRequests: number;
  /** Tokens per second every running request must keep for a new one to be admitted; 0 admits all (default 25). */
  admitTokensPerSec?: number;
  /** Prompts of requests waiting together run as one batch (default); false runs each prompt alone. */
  batchPrompts?: boolean;
}

/** Generates tokens for any number of concurrent requests, sharing decode runs. */
export interface FusedBatcher {
  /** Yields speech tokens (ids below 6561) as generateSpeechTokens does; a cancel takes effect at the next run. */
  generate(request: GenerationRequest, signal: AbortSignal): AsyncGenerator<number>;
  /** Requests currently generating (prefilled or waiting for their prefill). */
  readonly active: number;
  /** How many more requests would be admitted now (what /health can report). */
  remainingCapacity(): number;
  /** The learned throughput estimate, as plain data. */
  capacity(): EngineCapacity;
  /** Calls `listener` with a new estimate after every measured decode run. */
  watchCapacity(listener: (capacity: EngineCapacity) => void): void;
  /** Where the wall time went since the batcher started or the last reset (see batch-profile.ts). */
  profile(options?: { reset?: boolean }): BatchProfileSnapshot;
}

/** A batcher over `fused`; runs never overlap, since they share one session and its threads. */
export function createFusedBatcher(model: ChatterboxModel, fused: FusedDecoder, options: BatchOptions): FusedBatcher {
  const { layout } = fused;
  const steps = (m: Member): StepsPerRun => m.request.stepsPerRun ?? DEFAULT_STEPS_PER_RUN;
  const promptsPerRun = options.batchPrompts === false ? 1 : options.maxBatchRequests;
  const capacity = new BatchCapacity(options.admitTokensPerSec);
  const profile = new BatchProfile();
  const members: Member[] = [];
  let pumping = false;
  let lastWasWave = false;
  let wave: Member[] = [];
  let cycleStart: number | undefined;
  let last: { members: Member[]; feeds: Feeds } | undefined;
  let wakePump: (() => void) | undefined;
  // Finished or cancelled requests leave `members` at the next boundary; they no longer count.
  const running = () => members.filter((m) => !m.gone).length;
  const kick = () => {
    const wake = wakePump;
    wakePump = undefined;
    wake?.();
  };

  /** One run over `batch`, member i taking at most `limits[i]` steps; hands out tokens and the next state. */
  async function runBatch(batch: Member[], limits: readonly number[], stateFeeds: Feeds): Promise<void> {
    const feedsStarted = performance.now();
    const counts = batch.map((m, i) => m.stepsFor(limits[i]!));
    const width = Math.max(...counts);
    const uniforms = new Float64Array(batch.length * width);
    batch.forEach((m, i) => m.uniforms(counts[i]!, width, uniforms, i));
    const feeds = {
      ...requestFeeds(layout, batch),
      ...stateFeeds,
      uniforms: makeTensor('float64', uniforms, [batch.length, width]),
      row_steps: int64Tensor(counts, [batch.length]),
    };
    const started = performance.now();
    profile.add('feeds', started - feedsStarted);
    const out = await runGraph(fused.session, 'fused decode graph', feeds);
    const ended = performance.now();
    batch.forEach((m, i) => m.useUniforms(counts[i]!));
    const tokens = out.tokens!.data as BigInt64Array;
    const decodeOnly = stateFeeds.inputs_embeds!.dims[1] === 1;
    profile.run(decodeOnly ? 'decode' : 'prompt', batch.length, ended - started, Array.from(tokens).filter((t) => t >= 0n).length);
    // Decode runs only (a prefill's cost is the prompt's), timed over the whole cycle since the previous decode run
    // ended: what a running request waits between its runs includes the prefills and hand-offs in between.
    if (decodeOnly) {
      capacity.record(batch.length, tokens.length / batch.length, ended - (cycleStart ?? started));
      cycleStart = ended;
    }
    const states = splitOutputs(
      layout,
      out,
      batch.map((m) => m.rows),
    );
    batch.forEach((m, i) => {
      const yielded: number[] = [];
      let done = false;
      let taken = 0;
      for (let k = i; k < tokens.length; k += batch.length) {
        const token = Number(tokens[k]);
        if (token < 0) break;
        taken += 1;
        if (token === TOKENS.stopSpeech) {
          done = true;
          break;
        }
        m.generated += 1;
        if (token < TOKENS.startSpeech) yielded.push(token);
      }
      if (m.generated >= m.request.maxNewTokens) done = true;
      const error =
        !done && taken < counts[i]! ? new TtsError('ENGINE_FAILED', `fused decode graph ran ${taken} of ${counts[i]} steps without stopping`) : undefined;
      m.state = states[i];
      m.deliver(yielded, done || error !== undefined, error);
    });
    last = { members: batch, feeds: nextFeeds(out) };
    profile.add('feeds', performance.now() - ended);
  }

  function nextFeeds(out: ort.InferenceSession.OnnxValueMapType): Feeds {
    const feeds: Feeds = {};
    for (const [name, value] of Object.entries(out)) {
      if (name.startsWith('next_')) feeds[name.slice('next_'.length)] = value as ort.Tensor;
      else if (name.startsWith('present.')) feeds[name.replace('present.', 'past_key_values.')] = value as ort.Tensor;
    }
    return feeds;
  }

  async function runShared(batch: Member[]): Promise<void> {
    const limit = Math.max(...batch.map((m) => steps(m).next));
    const same = last !== undefined && last.members.length === batch.length && last.members.every((m, i) => m === batch[i]);
    try {
      await runBatch(
        batch,
        batch.map(() => limit),
        same
          ? last!.feeds
          : await profile.time('merge', () =>
              mergeStates(
                layout,
                batch.map((m) => m.state!),
              ),
            ),
      );
    } catch (err) {
      last = undefined;
      if (batch.length === 1) throw err;
      // Find who fails: each request alone, so one bad request cannot end the others.
      for (const m of batch) {
        try {
          await runBatch([m], [steps(m).next], m.state!);
        } catch (own) {
          m.deliver([], true, own);
        }
      }
    }
  }

  /** Prefills `group` as one batch, each with its first chunk of steps; a request whose prompt fails ends alone. */
  async function runPrompts(group: Member[]): Promise<void> {
    const prompts = new Map<Member, PromptEmbeds>();
    await profile.time('promptEmbed', async () => {
      for (const m of group) {
        try {
          prompts.set(m, await embedPrompt(model, m.request, m.rows));
        } catch (err) {
          m.deliver([], true, err);
        }
      }
    });
    const ready = group.filter((m) => prompts.has(m) && !m.gone);
    if (ready.length === 0) return;
    const run = (batch: Member[]) =>
      runBatch(
        batch,
        batch.map((m) => steps(m).first),
        promptBatchFeeds(
          layout,
          model.lm,
          batch.map((m) => prompts.get(m)!),
        ),
      );
    try {
      await run(ready);
    } catch (err) {
      last = undefined;
      if (ready.length === 1) throw err;
      for (const m of ready) {
        try {
          await run([m]);
        } catch (own) {
          m.deliver([], true, own);
        }
      }
    }
  }

  async function pump(): Promise<void> {
    pumping = true;
    try {
      for (;;) {
        // Let consumers take the tokens just delivered first, so every request that kept up joins this run.
        await profile.time('wait', () => new Promise((resolve) => setImmediate(resolve)));
        for (let i = members.length - 1; i >= 0; i--) {
          if (members[i]!.gone) members.splice(i, 1)[0]!.notify();
        }
        if (members.length === 0) return;
        const waiting = members.find((m) => m.state === undefined);
        const ready = members.filter((m) => m.state !== undefined && m.wantsRun);
        const batch = ready.slice(0, options.maxBatchRequests);
        if (!waiting && batch.length === 0) {
          // Time spent idle is not the batch's cost: the next cycle starts when work does.
          cycleStart = undefined;
          await profile.time('wait', () => new Promise<void>((resolve) => (wakePump = resolve)));
          continue;
        }
        // Prefills come in waves: every request waiting when a wave opens gets its prefill and first chunk before the
        // next shared run, in prompt runs of up to maxBatchRequests requests, so a burst hears first audio after its
        // prompt runs, not after them and the shared runs between; requests arriving during a wave wait for the next
        // one, after one shared run, so running requests are never starved by a stream of arrivals.
        if (wave.length === 0 && waiting && (ready.length === 0 || !lastWasWave)) wave = members.filter((m) => m.state === undefined);
        if (wave.length > 0) {
          const group = wave.splice(0, promptsPerRun).filter((m) => !m.gone && m.state === undefined);
          lastWasWave = wave.length === 0;
          try {
            if (group.length > 0) await runPrompts(group);
          } catch (err) {
            group.forEach((m) => m.deliver([], true, err));
          }
        } else {
          lastWasWave = false;
          try {
            await runShared(batch);
          } catch (err) {
            batch.forEach((m) => m.deliver([], true, err));
          }
          // Round robin beyond the cap: the requests that ran go to the back.
          if (ready.length > batch.length) {
            for (const m of batch) members.push(...members.splice(members.indexOf(m), 1));
          }
        }
      }
    } finally {
      pumping = false;
    }
  }

  return {
    get active() {
      return running();
    },
    remainingCapacity() {
      return capacity.remaining(running(), options.maxBatchRequests);
    },
    capacity: () => capacity.snapshot(),
    watchCapacity: (listener) => capacity.watch(listener),
    profile: (what) => {
      const snapshot = profile.snapshot();
      if (what?.reset) profile.reset();
      return snapshot;
    },
    async *generate(request, signal) {
      const { temperature, minP } = request.sampler;
      const rows = rowsOf(model, request);
      const others = running();
      if (!request.admitted && !capacity.admits(others)) {
        const rate = capacity.rateAt(others + 1)?.toFixed(1);
        throw new TtsError('SERVER_BUSY', `worker at capacity: with ${others + 1} requests each would get ${rate} tokens/s, below ${capacity.minTokensPerSec}`);
      }
      const member = new Member(request, rows, signal, createRandom(request.seed), {
        cfg: rows === 2 ? request.cfgWeight : 0,
        penalty: request.sampler.repetitionPenalty,
        invT: temperature === 0 ? 0 : 1 / temperature,
        minPOffset: minP === 0 ? Number.NEGATIVE_INFINITY : temperature * Math.log(minP),
        topK: request.sampler.topK,
        topP: request.sampler.topP,
        exaggeration: request.exaggeration,
      });
      const onAbort = () => {
        member.notify();
        kick();
      };
      signal.addEventListener('abort', onAbort);
      members.push(member);
      if (pumping) kick();
      else void pump();
      try {
        for (;;) {
          if (signal.aborted) return;
          const token = member.queue.shift();
          if (token !== undefined) {
            if (member.wantsRun) kick();
            yield token;
            continue;
          }
          if (member.error !== undefined) throw member.error;
          if (member.finished || !members.includes(member)) return;
          await member.waitForTokens();
        }
      } finally {
        member.left = true;
        signal.removeEventListener('abort', onAbort);
        kick();
      }
    },
  };
}
