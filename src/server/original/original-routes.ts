import { encodeWavHeader } from '../../audio/wav-header.js';
import type { Engine } from '../../engine/engine.js';
import { resolveRequest } from '../../engine/resolve-request.js';
import type { Logger } from '../../logging/logger.js';
import { TtsError, httpStatusFor, toTtsError } from '../../protocol/errors.js';
import { sendJson, type HttpExchange } from '../../transport/http-exchange.js';
import type { HttpRouter } from '../../transport/http-router.js';
import type { Admission } from '../admission.js';
import { runSynthesis } from '../run-synthesis.js';
import type { ClipLimits } from '../voices/reference-clip.js';
import { readReferenceClipInThread } from '../voices/clip-thread.js';
import type { WorkerMetrics } from '../worker-metrics.js';
import type { AudioFiles } from './audio-files.js';
import { parseSynthesizeForm, parseSynthesizeJson, type OriginalRequest } from './original-request.js';

/** Where the original API's files are served from: `/audio/<file>`. */
export const AUDIO_PATH_PREFIX = '/audio/';

/** What the original API's routes need from the worker. */
export interface OriginalRouteDeps {
  engine: Engine;
  admission: Admission;
  metrics: WorkerMetrics;
  files: AudioFiles;
  logger: Logger;
  maxTextChars: number;
  /** Largest body (a form with an audio_prompt), in bytes; JSON bodies may be a third larger for base64. */
  maxUploadBytes: number;
  clipLimits: ClipLimits;
  stallTimeoutMs: number;
  isAccepting: () => TtsError | undefined;
}

/** The original API's error answer: its `success: false` beside the project's coded error. */
function sendFailure(http: HttpExchange, error: TtsError): void {
  sendJson(http, httpStatusFor(error.code), { success: false, error: { code: error.code, message: error.message, retryable: error.retryable } });
}

async function synthesizeToFile(parsed: OriginalRequest, deps: OriginalRouteDeps, signal: AbortSignal, startedAt: number): Promise<Record<string, unknown>> {
  const info = deps.engine.info;
  let referenceAudio: Float32Array | undefined;
  if (parsed.audioPrompt) {
    if (info.voiceCloning !== true) throw new TtsError('CLONING_UNSUPPORTED', 'cloning not supported by this engine');
    referenceAudio = (await readReferenceClipInThread(parsed.audioPrompt, deps.clipLimits)).samples;
  }
  const request = resolveRequest({ text: parsed.text, voice: parsed.voice, params: parsed.params, referenceAudio }, info, deps.maxTextChars);
  const pieces: Uint8Array[] = [];
  const outcome = await runSynthesis({
    engine: deps.engine,
    admission: deps.admission,
    request,
    format: 's16le',
    signal,
    startedAt,
    stallTimeoutMs: deps.stallTimeoutMs,
    sink: {
      write: (pcm) => {
        pieces.push(pcm);
        return undefined;
      },
    },
  });
  if (outcome.cancelled) throw new TtsError('INTERNAL', 'the client went away');
  if (outcome.samples === 0) throw new TtsError('ENGINE_FAILED', 'the engine produced no audio');
  const rate = info.sampleRateHz;
  const dataBytes = pieces.reduce((n, p) => n + p.length, 0);
  const name = await deps.files.save(Buffer.concat([encodeWavHeader({ sampleRateHz: rate, format: 's16le', dataBytes }), ...pieces]));
  deps.metrics.requestFinished('http', outcome);
  deps.logger.info({ textChars: request.text.length, file: name, clonedFromPrompt: referenceAudio !== undefined, ...outcome.metrics }, 'synthesize done');
  const { speed: _speed, ...params } = request.params;
  return {
    success: true,
    audio_url: `${AUDIO_PATH_PREFIX}${name}`,
    duration: Math.round((outcome.samples / rate) * 1000) / 1000,
    sample_rate: rate,
    parameters: { ...params, speech_rate: parsed.speechRate, voice: referenceAudio ? 'audio_prompt' : request.voice },
    // Speech tokens generated per second of wall time; engines without speech tokens (Flite) have none.
    inference_speed: outcome.metrics.tokensPerSec ?? null,
  };
}

function synthesizeRoute(deps: OriginalRouteDeps, parse: (body: Uint8Array, contentType: string) => OriginalRequest, maxBodyBytes: number) {
  return (http: HttpExchange) => {
    const startedAt = performance.now();
    const abort = new AbortController();
    http.onAbort(() => abort.abort());
    const contentType = http.header('content-type');
    const body = http.readBody(maxBodyBytes);
    body.catch(() => undefined);
    void (async () => {
      try {
        const refusal = deps.isAccepting();
        if (refusal) throw refusal;
        const answer = await synthesizeToFile(parse(await body, contentType), deps, abort.signal, startedAt);
        sendJson(http, 200, answer);
      } catch (err) {
        if (abort.signal.aborted) return;
        const error = toTtsError(err);
        deps.metrics.requestFailed('http', error.code);
        deps.logger.warn({ err: error, code: error.code }, 'synthesize failed');
        sendFailure(http, error);
      }
    })();
  };
}

/** Adds `POST /synthesize`, `POST /synthesize-json`, `GET /audio/{file}` and `GET /voices`, answering in the original API's shapes. */
export function attachOriginalRoutes(router: HttpRouter, deps: OriginalRouteDeps): void {
  router.on(
    'POST',
    '/synthesize',
    synthesizeRoute(deps, (body, type) => parseSynthesizeForm(body, type, deps.engine.info), deps.maxUploadBytes),
  );
  const jsonLimit = Math.ceil((deps.maxUploadBytes * 4) / 3) + 64 * 1024;
  router.on(
    'POST',
    '/synthesize-json',
    synthesizeRoute(deps, (body, type) => parseSynthesizeJson(body, type, deps.engine.info), jsonLimit),
  );
  router.onPrefix('GET', AUDIO_PATH_PREFIX, (http) => {
    const audio = deps.files.read(http.path.slice(AUDIO_PATH_PREFIX.length));
    if (!audio) return sendFailure(http, new TtsError('NOT_FOUND', 'no such audio file (it may have expired)'));
    http.end(200, { 'content-type': 'audio/wav', 'cache-control': 'private, max-age=60' }, audio);
  });
  router.on('GET', '/voices', (http) => {
    if (deps.isAccepting()?.code === 'NOT_READY') return sendFailure(http, new TtsError('NOT_READY', 'engine is loading'));
    const info = deps.engine.info;
    sendJson(http, 200, { success: true, voices: info.voices, default_voice: info.defaultVoice, count: info.voices.length });
  });
}
