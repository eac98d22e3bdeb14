import { encodePcm } from '../audio/pcm.js';
import type { Engine, SynthesisRequest } from '../engine/engine.js';
import type { AudioFormat, RequestMetrics } from '../protocol/messages.js';
import type { TextQueue } from '../engine/text/text-queue.js';
import type { Admission } from './admission.js';
import { RequestSlot } from './request-slot.js';
import { slotFreeWhileWaiting } from './slot-free-input.js';
import { waitForReader } from './wait-for-reader.js';

/** Where a request's audio goes: a WebSocket or an HTTP response. */
export interface AudioSink {
  /**
   * Queues one chunk. Returns undefined while the client keeps up, or a promise that resolves once it has read
   * enough to take more: the request is paused until then, and holds no generation slot meanwhile.
   */
  write(pcm: Uint8Array, samples: number, seq: number): Promise<void> | undefined;
}

/** How a request ended, for the `done` frame, metrics and logs. */
export interface SynthesisOutcome {
  chunks: number;
  samples: number;
  cancelled: boolean;
  metrics: RequestMetrics;
}

/**
 * Runs one request: waits for a slot, streams the engine's chunks into the sink in order with
 * seq 0, 1, 2, …, and measures TTFA and RTF from `startedAt` (performance.now() when the request arrived).
 * While the sink waits for its client the request gives its slot back and takes one again (ahead of new requests)
 * when the client reads; after `stallTimeoutMs` without that it fails with CLIENT_TOO_SLOW. A streamed request
 * (`input`) gives its slot back in the same way while its engine waits for more text.
 * Throws the engine's TtsError; returns `cancelled: true` when `signal` aborted.
 */
export async function runSynthesis(options: {
  engine: Engine;
  admission: Admission;
  /** The request; a streamed one's pieces come from `input`, not `request.input`. */
  request: SynthesisRequest;
  /** A streamed request's input. */
  input?: TextQueue;
  format: AudioFormat;
  signal: AbortSignal;
  sink: AudioSink;
  startedAt: number;
  /** How long a paused request waits for its client to read before it fails, in ms. */
  stallTimeoutMs: number;
}): Promise<SynthesisOutcome> {
  const { engine, admission, request, format, signal, sink, startedAt } = options;
  const slot = new RequestSlot(admission, signal);
  await slot.acquire();
  const synthesis: SynthesisRequest = options.input ? { ...request, input: slotFreeWhileWaiting(options.input, slot) } : request;
  let chunks = 0;
  let samples = 0;
  let tokens: number | undefined;
  let ttfaMs = 0;
  try {
    for await (const chunk of engine.synthesize(synthesis, signal)) {
      if (signal.aborted) break;
      if (chunk.pcm.length === 0) continue;
      if (chunks === 0) ttfaMs = performance.now() - startedAt;
      const blocked = sink.write(encodePcm(chunk.pcm, format), chunk.pcm.length, chunks);
      chunks += 1;
      samples += chunk.pcm.length;
      if (chunk.tokens !== undefined) tokens = chunk.tokens;
      if (blocked) {
        // Without a slot the engine thread runs at most its credit (two chunks) ahead; it gets more only when this
        // request, holding a slot again, takes the next chunk.
        await slot.stepAside(() => waitForReader(blocked, signal, options.stallTimeoutMs));
      }
      if (signal.aborted) break;
    }
  } finally {
    slot.end();
  }
  const totalMs = performance.now() - startedAt;
  const audioMs = (samples / engine.info.sampleRateHz) * 1000;
  const metrics: RequestMetrics = {
    ttfaMs: Math.round(ttfaMs * 10) / 10,
    rtf: audioMs > 0 ? Math.round((totalMs / audioMs) * 1000) / 1000 : 0,
    totalMs: Math.round(totalMs * 10) / 10,
    audioMs: Math.round(audioMs),
  };
  if (tokens !== undefined && totalMs > 0) metrics.tokensPerSec = Math.round((tokens / totalMs) * 10_000) / 10;
  return { chunks, samples, cancelled: signal.aborted, metrics };
}
