import { SPEECH_FORMATS, isEncodableFormat, type EncodableFormat } from '../../audio/encode/create-speech-encoder.js';
import type { EngineInfo } from '../../engine/engine.js';
import { isLanguage } from '../../protocol/codec.js';
import type { SynthesisParams } from '../../protocol/messages.js';
import { ParamError } from '../../transport/openai-error.js';
import type { RequestedSynthesis } from '../../engine/resolve-request.js';
import { readJsonObject } from '../tts-body.js';
import { resolveOpenAiVoice } from './openai-voices.js';

/** OpenAI's range for `speed`. */
export const SPEED_RANGE = { min: 0.25, max: 4 } as const;

/** What `POST /v1/audio/speech` asks for once its body is read. */
export interface SpeechHttpRequest extends RequestedSynthesis {
  format: EncodableFormat;
  /** True for `stream_format: "sse"`: base64 audio in `speech.audio.delta` events instead of raw bytes. */
  sse: boolean;
  model: string;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value !== undefined && value !== null && typeof value !== 'string') throw new ParamError('BAD_MESSAGE', name, `'${name}' must be a string`);
  return (value ?? undefined) as string | undefined;
}

function parseFormat(value: unknown): EncodableFormat {
  if (value === undefined || value === null) return 'mp3';
  if (isEncodableFormat(value)) return value;
  throw new ParamError('BAD_FORMAT', 'response_format', `'response_format' must be one of ${SPEECH_FORMATS.join(', ')}`);
}

/** Engine parameters given as extra body fields (`exaggeration`, `cfg_weight`, …) and `speed`, as `params`. */
function parseParams(body: Record<string, unknown>, info: EngineInfo): SynthesisParams {
  const params: SynthesisParams = {};
  for (const name of Object.keys(info.params)) {
    const value = Object.hasOwn(body, name) ? body[name] : undefined;
    if (value === undefined || value === null || name === 'speed') continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ParamError('BAD_MESSAGE', name, `'${name}' must be a number`);
    params[name] = value;
  }
  const speed = body.speed;
  if (speed !== undefined && speed !== null) {
    if (typeof speed !== 'number' || !Number.isFinite(speed)) throw new ParamError('BAD_MESSAGE', 'speed', "'speed' must be a number");
    if (speed < SPEED_RANGE.min || speed > SPEED_RANGE.max) {
      throw new ParamError('BAD_PARAM', 'speed', `'speed' must be in ${SPEED_RANGE.min}..${SPEED_RANGE.max}, got ${speed}`);
    }
    params.speed = speed;
  }
  return params;
}

/**
 * Parses OpenAI's speech request `{model, input, voice, response_format, speed, instructions?, stream_format?}`
 * plus the engine's own parameters as extra fields. `instructions` is accepted and not used (Chatterbox takes no
 * style prompt). Throws TtsError (ParamError naming the field) with UNSUPPORTED_MEDIA_TYPE, BAD_JSON, BAD_MESSAGE,
 * BAD_FORMAT, BAD_PARAM or UNKNOWN_VOICE.
 */
export function parseSpeechBody(body: Uint8Array, contentType: string, info: EngineInfo): SpeechHttpRequest {
  const json = readJsonObject(body, contentType);
  if (json.input === undefined || json.input === null) throw new ParamError('BAD_MESSAGE', 'input', "'input' is required");
  if (typeof json.input !== 'string') throw new ParamError('BAD_MESSAGE', 'input', "'input' must be a string");
  const model = optionalString(json, 'model') ?? 'tts-1';
  optionalString(json, 'instructions');
  const streamFormat = optionalString(json, 'stream_format') ?? 'audio';
  if (streamFormat !== 'audio' && streamFormat !== 'sse') throw new ParamError('BAD_MESSAGE', 'stream_format', "'stream_format' must be audio or sse");
  const language = json.language ?? undefined;
  if (language !== undefined && !isLanguage(language)) throw new ParamError('BAD_MESSAGE', 'language', "'language' must be a language code such as 'en'");
  return {
    text: json.input,
    voice: resolveOpenAiVoice(json.voice ?? undefined, info),
    language,
    params: parseParams(json, info),
    format: parseFormat(json.response_format),
    sse: streamFormat === 'sse',
    model,
  };
}
