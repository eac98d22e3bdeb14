import { ENCODED_SAMPLE_RATE_HZ, createSpeechEncoder } from '../../audio/encode/create-speech-encoder.js';
import type { SpeechEncoder } from '../../audio/encode/speech-encoder.js';
import type { Engine, SynthesisRequest } from '../../engine/engine.js';
import { resolveRequest } from '../../engine/resolve-request.js';
import { TtsError, toTtsError } from '../../protocol/errors.js';
import type { HttpExchange } from '../../transport/http-exchange.js';
import { ParamError, sendOpenAiError } from '../../transport/openai-error.js';
import { runSynthesis } from '../run-synthesis.js';
import type { HttpSynthesisDeps } from '../tts-route.js';
import { parseSpeechBody, type SpeechHttpRequest } from './speech-body.js';

/** What the speech route needs from the worker: the same as /v1/tts. */
export type SpeechRouteDeps = HttpSynthesisDeps;

/** The body field each validation code is about, so OpenAI clients see it in `param`. */
const PARAM_OF_CODE: Partial<Record<TtsError['code'], string>> = {
  TEXT_EMPTY: 'input',
  TEXT_TOO_LONG: 'input',
  TEXT_UNSPEAKABLE: 'input',
  UNKNOWN_LANGUAGE: 'language',
};

function resolveSpeech(parsed: SpeechHttpRequest, engine: Engine, maxTextChars: number): SynthesisRequest {
  try {
    return resolveRequest(parsed, engine.info, maxTextChars);
  } catch (err) {
    const param = err instanceof TtsError ? PARAM_OF_CODE[err.code] : undefined;
    throw param && err instanceof TtsError ? new ParamError(err.code, param, err.message) : err;
  }
}

/** One SSE event carrying `payload` as JSON. */
function sseEvent(payload: unknown): Uint8Array {
  return Buffer.from(`data: ${JSON.stringify(payload)}\n\n`);
}

/**
 * `POST /v1/audio/speech`, OpenAI's speech API: audio encoded as the engine produces it and streamed as chunked
 * HTTP, or as `speech.audio.delta` / `speech.audio.done` server-sent events. Like /v1/tts, a slow reader pauses the
 * request; errors before the first byte get OpenAI's error JSON, a failure after it cuts the connection.
 */
export function handleSpeech(http: HttpExchange, deps: SpeechRouteDeps): void {
  const startedAt = performance.now();
  const contentType = http.header('content-type');
  const abort = new AbortController();
  http.onAbort(() => abort.abort());
  const body = http.readBody(deps.maxBodyBytes);
  // A refusal answers before awaiting the body; its later rejection must not go unhandled.
  body.catch(() => undefined);

  void (async () => {
    let started = false;
    let encoder: SpeechEncoder | undefined;
    let finished = false;
    try {
      const refusal = deps.isAccepting();
      if (refusal) throw refusal;
      const parsed = parseSpeechBody(await body, contentType, deps.engine.info);
      const request = resolveSpeech(parsed, deps.engine, deps.maxTextChars);
      const speech = await createSpeechEncoder(parsed.format, deps.engine.info.sampleRateHz);
      encoder = speech;
      const frame = parsed.sse
        ? (bytes: Uint8Array) => sseEvent({ type: 'speech.audio.delta', audio: Buffer.from(bytes).toString('base64') })
        : (bytes: Uint8Array) => bytes;
      const begin = () => {
        if (started) return;
        started = true;
        http.begin(200, {
          'content-type': parsed.sse ? 'text/event-stream' : speech.contentType,
          'cache-control': 'no-store',
          'x-sample-rate': String(ENCODED_SAMPLE_RATE_HZ),
        });
      };
      let chunksOut = 0;
      const send = (bytes: Uint8Array): Promise<void> | undefined => {
        if (bytes.byteLength === 0) return undefined;
        begin();
        chunksOut += 1;
        const written = http.write(frame(bytes));
        return http.writeBlocked ? written : undefined;
      };
      const outcome = await runSynthesis({
        engine: deps.engine,
        admission: deps.admission,
        request,
        format: 'f32le',
        signal: abort.signal,
        startedAt,
        stallTimeoutMs: deps.stallTimeoutMs,
        sink: { write: (pcm) => send(speech.encode(new Float32Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 4))) },
      });
      if (outcome.cancelled) return;
      if (outcome.samples === 0) throw new TtsError('ENGINE_FAILED', 'the engine produced no audio');
      finished = true;
      // The tail is small: it joins the socket's queue and finish() ends the body after it.
      void send(speech.finish());
      begin();
      if (parsed.sse) {
        const inputChars = [...request.text].length;
        void http.write(
          sseEvent({ type: 'speech.audio.done', usage: { input_tokens: inputChars, output_tokens: chunksOut, total_tokens: inputChars + chunksOut } }),
        );
      }
      http.finish();
      deps.metrics.requestFinished('http', outcome);
      deps.logger.info({ textChars: request.text.length, format: parsed.format, sse: parsed.sse, ...outcome.metrics }, 'speech request done');
    } catch (err) {
      if (abort.signal.aborted) return;
      const error = toTtsError(err);
      deps.metrics.requestFailed('http', error.code);
      deps.logger.warn({ err: error, code: error.code }, 'speech request failed');
      if (started) http.kill();
      else sendOpenAiError(http, error, error.code === 'SERVER_BUSY' || error.code === 'DRAINING' ? { 'retry-after': '1' } : {});
    } finally {
      // The WebAssembly codecs hold memory until finished: free it whatever ended the request.
      try {
        if (encoder && !finished) encoder.finish();
      } catch {
        // Nothing to send any more; the codec's memory is what mattered.
      }
    }
  })();
}
