// Continuous batching on the fused decode graph: every request generating on a model shares its decode runs as rows
// of one batch. A new request runs its prefill (and its first chunk of steps) alone, then joins the batch at the next
// run boundary; a finished or cancelled one leaves at the next boundary without disturbing the others. When a shared
// run fails, each request retries alone, so only the one whose run fails sees the error. A request that would push
// the running ones below real time is refused (SERVER_BUSY, retryable): see batch-capacity.ts.
import type ort from 'onnxruntime-node';
import { TtsError } from '../../../protocol/errors.js';
import { emptyCacheTensor, floatTensor, int64Tensor, makeTensor, onesInt64Tensor, type Feeds } from '../../onnx/tensors.js';
import type { ChatterboxModel } from '../chatterbox-model.js';
import { DEFAULT_STEPS_PER_RUN, rowsOf, type GenerationRequest } from '../generation-request.js';
import { embedPrompt, runGraph } from '../prompt-embeds.js';
import { createRandom } from '../seeded-random.js';
import { TOKENS } from '../text-tokenizer.js';
import type { EngineCapacity } from '../../engine-capacity.js';
import { BatchCapacity } from './batch-capacity.js';
import { Member } from './batch-member.js';
import { mergeStates, splitOutputs } from './batch-state.js';
import type { FusedDecoder } from './fused-decoder.js';

/** How requests share runs. */
export interface BatchOptions {
  /** Most requests in one run; the rest wait their turn (round robin). */
  maxBatchRequests: number;
  /** Tokens per second every running request must keep for a new one to be admitted; 0 admits all (default 25). */
  admitTokensPerSec?: number;
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
}

/** A batcher over `fused`; runs never overlap, since they share one session and its threads. */
export function createFusedBatcher(model: ChatterboxModel, fused: FusedDecoder, options: BatchOptions): FusedBatcher {
  const { layout } = fused;
  const capacity = new BatchCapacity(options.admitTokensPerSec);
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

  function fixedFeeds(batch: readonly Member[]): Feeds {
    const rows = batch.flatMap((m, i) => Array<number>(m.rows).fill(i));
    const condRows: number[] = [];
    const uncondRows: number[] = [];
    let row = 0;
    for (const m of batch) {
      condRows.push(row);
      uncondRows.push(row + m.rows - 1);
      row += m.rows;
    }
    const n = batch.length;
    const p = batch.map((m) => m.params);
    const feeds: Feeds = {
      row_requests: int64Tensor(rows, [rows.length]),
      cond_rows: int64Tensor(condRows, [n]),
      uncond_rows: int64Tensor(uncondRows, [n]),
      cfg_weight: makeTensor(
        'float32',
        Float32Array.from(p, (x) => x.cfg),
        [n],
      ),
      repetition_penalty: makeTensor(
        'float32',
        Float32Array.from(p, (x) => x.penalty),
        [n],
      ),
      inv_temperature: makeTensor(
        'float64',
        Float64Array.from(p, (x) => x.invT),
        [n],
      ),
      min_p_offset: makeTensor(
        'float64',
        Float64Array.from(p, (x) => x.minPOffset),
        [n],
      ),
      top_k: makeTensor(
        'int64',
        BigInt64Array.from(p, (x) => BigInt(x.topK)),
        [n],
      ),
      top_p: makeTensor(
        'float64',
        Float64Array.from(p, (x) => x.topP),
        [n],
      ),
    };
    if (layout.exaggerationType) {
      const values = new Float32Array(rows.length);
      rows.forEach((request, r) => (values[r] = p[request]!.exaggeration));
      feeds.exaggeration = floatTensor(values, [rows.length], layout.exaggerationType);
    }
    return feeds;
  }

  /** One run over `batch` with at most `limit` steps each; hands out tokens and the next state. */
  async function runBatch(batch: Member[], limit: number, stateFeeds: Feeds): Promise<void> {
    const counts = batch.map((m) => m.stepsFor(limit));
    const width = Math.max(...counts);
    const uniforms = new Float64Array(batch.length * width);
    batch.forEach((m, i) => m.uniforms(counts[i]!, width, uniforms, i));
    const started = performance.now();
    const out = await runGraph(fused.session, 'fused decode graph', {
      ...stateFeeds,
      ...fixedFeeds(batch),
      uniforms: makeTensor('float64', uniforms, [batch.length, width]),
      row_steps: int64Tensor(counts, [batch.length]),
    });
    batch.forEach((m, i) => m.useUniforms(counts[i]!));
    const tokens = out.tokens!.data as BigInt64Array;
    // Decode runs only (a prefill's cost is the prompt's), timed over the whole cycle since the previous decode run
    // ended: what a running request waits between its runs includes the prefills and hand-offs in between.
    if (stateFeeds.inputs_embeds!.dims[1] === 1) {
      const ended = performance.now();
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
    const steps = (m: Member) => m.request.stepsPerRun ?? DEFAULT_STEPS_PER_RUN;
    const limit = Math.max(...batch.map((m) => steps(m).next));
    const same = last !== undefined && last.members.length === batch.length && last.members.every((m, i) => m === batch[i]);
    try {
      await runBatch(
        batch,
        limit,
        same
          ? last!.feeds
          : mergeStates(
              layout,
              batch.map((m) => m.state!),
            ),
      );
    } catch (err) {
      last = undefined;
      if (batch.length === 1) throw err;
      // Find who fails: each request alone, so one bad request cannot end the others.
      for (const m of batch) {
        try {
          await runBatch([m], steps(m).next, m.state!);
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
        await new Promise((resolve) => setImmediate(resolve));
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
          await new Promise<void>((resolve) => (wakePump = resolve));
          continue;
        }
        // Prefills come in waves: every request waiting when a wave opens gets its prefill and first chunk before the
        // next shared run, so a burst of N requests hears first audio after N prefills, not after N prefills and N-1
        // shared runs; requests arriving during a wave wait for the next one, after one shared run, so running
        // requests are never starved by a stream of arrivals.
        if (wave.length === 0 && waiting && (ready.length === 0 || !lastWasWave)) wave = members.filter((m) => m.state === undefined);
        const next = wave.shift();
        if (next) {
          lastWasWave = wave.length === 0;
          if (next.gone || next.state !== undefined) continue;
          const first = (next.request.stepsPerRun ?? DEFAULT_STEPS_PER_RUN).first;
          try {
            await runBatch([next], first, await prefillFeeds(next));
          } catch (err) {
            next.deliver([], true, err);
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

  async function prefillFeeds(m: Member): Promise<Feeds> {
    const { lm } = model;
    const prompt = await embedPrompt(model, m.request, m.rows);
    const seen = new Uint8Array(lm.vocab);
    seen[TOKENS.startSpeech] = 1;
    const feeds: Feeds = {
      inputs_embeds: floatTensor(prompt.data, [m.rows, prompt.length, lm.hidden], layout.embedsType),
      attention_mask: onesInt64Tensor([m.rows, prompt.length]),
      seen_tokens: makeTensor('bool', seen, [1, lm.vocab]),
    };
    if (layout.lmPositionIds)
      feeds.position_ids = int64Tensor(
        Array.from({ length: m.rows * prompt.length }, (_, i) => i % prompt.length),
        [m.rows, prompt.length],
      );
    if (layout.embedPositionIds) feeds.embed_positions = int64Tensor(Array(m.rows).fill(1), [m.rows]);
    for (let layer = 0; layer < layout.layers; layer++) {
      for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = emptyCacheTensor(layout.cacheType, m.rows, lm.kvHeads, lm.headDim);
    }
    return feeds;
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
