import { encodeWavHeader } from '../audio/wav-header.js';
import type { Engine } from '../engine/engine.js';
import { resolveRequest } from '../engine/resolve-request.js';
import type { Logger } from '../logging/logger.js';
import { TtsError, toTtsError } from '../protocol/errors.js';
import type { Admission } from './admission.js';
import { runSynthesis } from './run-synthesis.js';
import { parseTtsBody } from './tts-body.js';
import type { WorkerMetrics } from './worker-metrics.js';
import { sendError, type HttpExchange } from '../transport/http-exchange.js';

/** What a JSON-in, audio-out synthesis route (`/v1/tts`, `/v1/audio/speech`) needs from the worker. */
export interface HttpSynthesisDeps {
  engine: Engine;
  admission: Admission;
  metrics: WorkerMetrics;
  logger: Logger;
  maxTextChars: number;
  maxBodyBytes: number;
  stallTimeoutMs: number;
  isAccepting: () => TtsError | undefined;
}

/**
 * `POST /v1/tts`: JSON in, WAV (or raw PCM) out, streamed as it is produced. Errors found before the
 * first byte get a JSON status; a failure after it cuts the connection so the body reads as incomplete.
 */
export function handleTts(http: HttpExchange, deps: HttpSynthesisDeps): void {
  const startedAt = performance.now();
  const contentType = http.header('content-type');
  const query = http.query;
  const abort = new AbortController();
  http.onAbort(() => abort.abort());
  const body = http.readBody(deps.maxBodyBytes);
  // A refusal below answers before awaiting the body; its later rejection (too large, client gone)
  // must not go unhandled, which would end the worker process.
  body.catch(() => undefined);

  void (async () => {
    let started = false;
    try {
      const refusal = deps.isAccepting();
      if (refusal) throw refusal;
      const parsed = parseTtsBody(await body, contentType, query);
      const request = resolveRequest(parsed, deps.engine.info, deps.maxTextChars);
      const rate = deps.engine.info.sampleRateHz;
      const outcome = await runSynthesis({
        engine: deps.engine,
        admission: deps.admission,
        request,
        format: parsed.format,
        signal: abort.signal,
        startedAt,
        stallTimeoutMs: deps.stallTimeoutMs,
        sink: {
          write: (pcm) => {
            let bytes = pcm;
            if (!started) {
              started = true;
              http.begin(200, {
                'content-type': parsed.container === 'wav' ? 'audio/wav' : 'application/octet-stream',
                'cache-control': 'no-store',
                'x-sample-rate': String(rate),
                'x-audio-format': parsed.format,
              });
              if (parsed.container === 'wav') bytes = Buffer.concat([encodeWavHeader({ sampleRateHz: rate, format: parsed.format }), pcm]);
            }
            const written = http.write(bytes);
            return http.writeBlocked ? written : undefined;
          },
        },
      });
      if (!started) throw new TtsError('ENGINE_FAILED', 'the engine produced no audio');
      http.finish();
      deps.metrics.requestFinished('http', outcome);
      deps.logger.info({ textChars: request.text.length, ...outcome.metrics }, 'http request done');
    } catch (err) {
      if (abort.signal.aborted) return;
      const error = toTtsError(err);
      deps.metrics.requestFailed('http', error.code);
      deps.logger.warn({ err: error, code: error.code }, 'http request failed');
      if (started) http.kill();
      else sendError(http, error, error.code === 'SERVER_BUSY' || error.code === 'DRAINING' ? { 'retry-after': '1' } : {});
    }
  })();
}
