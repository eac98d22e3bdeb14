import { isLanguage, parseParams } from '../protocol/codec.js';
import { TtsError } from '../protocol/errors.js';
import { AUDIO_FORMATS, type AudioFormat } from '../protocol/messages.js';
import type { RequestedSynthesis } from '../engine/resolve-request.js';

/** What `POST /v1/tts` asks for once its body and query are read. */
export interface TtsHttpRequest extends RequestedSynthesis {
  format: AudioFormat;
  /** `wav` (default) or `pcm` (raw samples, rate and format in headers). */
  container: 'wav' | 'pcm';
}

/** A request body that must be a JSON object; throws UNSUPPORTED_MEDIA_TYPE, BAD_JSON or BAD_MESSAGE. */
export function readJsonObject(body: Uint8Array, contentType: string): Record<string, unknown> {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new TtsError('UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json, got '${contentType.slice(0, 80)}'`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new TtsError('BAD_JSON', 'body is not valid UTF-8 JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new TtsError('BAD_MESSAGE', 'body must be a JSON object');
  return json as Record<string, unknown>;
}

/**
 * Parses the one-shot endpoint's JSON body `{text, voice?, language?, params?, format?}` and its `?format=wav|pcm` query.
 * Throws TtsError UNSUPPORTED_MEDIA_TYPE, BAD_JSON or BAD_MESSAGE.
 */
export function parseTtsBody(body: Uint8Array, contentType: string, query: string): TtsHttpRequest {
  const { text, voice, language, params, format } = readJsonObject(body, contentType);
  if (typeof text !== 'string') throw new TtsError('BAD_MESSAGE', "'text' must be a string");
  if (voice !== undefined && typeof voice !== 'string') throw new TtsError('BAD_MESSAGE', "'voice' must be a string");
  if (language !== undefined && !isLanguage(language)) throw new TtsError('BAD_MESSAGE', "'language' must be a language code such as 'en'");
  if (format !== undefined && !(AUDIO_FORMATS as readonly unknown[]).includes(format)) {
    throw new TtsError('BAD_MESSAGE', `'format' must be one of ${AUDIO_FORMATS.join(', ')}`);
  }
  const container = new URLSearchParams(query).get('format') ?? 'wav';
  if (container !== 'wav' && container !== 'pcm') throw new TtsError('BAD_MESSAGE', "query 'format' must be wav or pcm");
  return {
    text,
    voice,
    language,
    params: params === undefined ? undefined : parseParams(params),
    format: (format as AudioFormat | undefined) ?? 's16le',
    container,
  };
}
