import { encodePcm } from '../audio/pcm.js';
import type { Engine, SynthesisRequest } from '../engine/engine.js';
import type { AudioFormat, RequestMetrics } from '../protocol/messages.js';
import type { Admission } from './admission.js';

/** Where a request's audio goes: a WebSocket or an HTTP response. `write` resolves when more may be sent. */
export interface AudioSink {
  write(pcm: Uint8Array, samples: number, seq: number): void | Promise<void>;
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
 * Throws the engine's TtsError; returns `cancelled: true` when `signal` aborted.
 */
export async function runSynthesis(options: {
  engine: Engine;
  admission: Admission;
  request: SynthesisRequest;
  format: AudioFormat;
  signal: AbortSignal;
  sink: AudioSink;
  startedAt: number;
}): Promise<SynthesisOutcome> {
  const { engine, request, format, signal, sink, startedAt } = options;
  const release = await options.admission.acquire(signal);
  let chunks = 0;
  let samples = 0;
  let tokens: number | undefined;
  let ttfaMs = 0;
  try {
    for await (const chunk of engine.synthesize(request, signal)) {
      if (signal.aborted) break;
      if (chunk.pcm.length === 0) continue;
      if (chunks === 0) ttfaMs = performance.now() - startedAt;
      await sink.write(encodePcm(chunk.pcm, format), chunk.pcm.length, chunks);
      chunks += 1;
      samples += chunk.pcm.length;
      if (chunk.tokens !== undefined) tokens = chunk.tokens;
      if (signal.aborted) break;
    }
  } finally {
    release();
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
