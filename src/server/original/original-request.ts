import type { EngineInfo } from '../../engine/engine.js';
import { checkParam } from '../../engine/resolve-request.js';
import { readJsonObject } from '../tts-body.js';
import { TtsError } from '../../protocol/errors.js';
import type { SynthesisParams } from '../../protocol/messages.js';
import { formField, formFile } from '../multipart.js';
import { numberField, readForm } from '../voices/upload-form.js';

/** The engine parameters the original API takes by name. */
export const ORIGINAL_PARAMS = ['exaggeration', 'temperature', 'cfg_weight', 'min_p', 'top_p', 'repetition_penalty', 'seed'] as const;

/** `speech_rate`'s range: the engine's `speed` parameter (docs/original-api.md). */
export const SPEECH_RATE_RANGE = { min: 0.25, max: 4 };

/** A `/synthesize` or `/synthesize-json` request once parsed. */
export interface OriginalRequest {
  text: string;
  voice: string | undefined;
  params: SynthesisParams;
  speechRate: number;
  /** The reference clip's file bytes, still encoded; undefined without one. */
  audioPrompt: Uint8Array | undefined;
}

function paramsFrom(values: Record<string, number | undefined>, info: EngineInfo): { params: SynthesisParams; speechRate: number } {
  const params: SynthesisParams = {};
  // Parameters the engine does not have (Flite has no exaggeration) are left out rather than refused: drop-in
  // clients send every field every time. `parameters` in the answer shows what was applied.
  for (const name of ORIGINAL_PARAMS) {
    const value = values[name];
    if (value === undefined || !Object.hasOwn(info.params, name)) continue;
    checkParam(name, value, info);
    params[name] = value;
  }
  const speechRate = values.speech_rate ?? 1;
  if (!(speechRate >= SPEECH_RATE_RANGE.min && speechRate <= SPEECH_RATE_RANGE.max)) {
    throw new TtsError('BAD_PARAM', `speech_rate must be in ${SPEECH_RATE_RANGE.min}..${SPEECH_RATE_RANGE.max}, got ${speechRate}`);
  }
  if (speechRate !== 1) {
    if (!Object.hasOwn(info.params, 'speed')) throw new TtsError('BAD_PARAM', 'this engine cannot change the speech rate');
    checkParam('speed', speechRate, info);
    params.speed = speechRate;
  }
  return { params, speechRate };
}

function requireText(text: unknown): string {
  if (typeof text !== 'string' || text.trim() === '') throw new TtsError('TEXT_EMPTY', "'text' is missing or empty");
  return text;
}

/** Parses `POST /synthesize` (multipart/form-data). Throws TtsError UNSUPPORTED_MEDIA_TYPE, BAD_MESSAGE, TEXT_EMPTY or BAD_PARAM. */
export function parseSynthesizeForm(body: Uint8Array, contentType: string, info: EngineInfo): OriginalRequest {
  const parts = readForm(body, contentType);
  const text = requireText(formField(parts, 'text'));
  const values: Record<string, number | undefined> = {};
  for (const name of [...ORIGINAL_PARAMS, 'speech_rate']) values[name] = numberField(parts, name);
  const prompt = formFile(parts, 'audio_prompt');
  const voice = formField(parts, 'voice')?.trim() || undefined;
  return { text, voice, ...paramsFrom(values, info), audioPrompt: prompt && prompt.data.length === 0 && !prompt.filename ? undefined : prompt?.data };
}

/**
 * Parses `POST /synthesize-json`: the same fields as JSON; `audio_prompt` is a base64 audio file and `voice` a stored
 * voice's name. Throws TtsError UNSUPPORTED_MEDIA_TYPE, BAD_JSON, BAD_MESSAGE, TEXT_EMPTY or BAD_PARAM.
 */
export function parseSynthesizeJson(body: Uint8Array, contentType: string, info: EngineInfo): OriginalRequest {
  const fields = readJsonObject(body, contentType);
  const text = requireText(fields.text);
  const values: Record<string, number | undefined> = {};
  for (const name of [...ORIGINAL_PARAMS, 'speech_rate']) {
    const value = fields[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TtsError('BAD_PARAM', `'${name}' must be a number`);
    values[name] = value;
  }
  if (fields.voice !== undefined && typeof fields.voice !== 'string') throw new TtsError('BAD_MESSAGE', "'voice' must be a voice name");
  let audioPrompt: Uint8Array | undefined;
  if (fields.audio_prompt !== undefined && fields.audio_prompt !== null) {
    if (typeof fields.audio_prompt !== 'string' || !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(fields.audio_prompt)) {
      throw new TtsError('BAD_MESSAGE', "'audio_prompt' must be a base64-encoded audio file");
    }
    audioPrompt = Buffer.from(fields.audio_prompt, 'base64');
  }
  return { text, voice: fields.voice || undefined, ...paramsFrom(values, info), audioPrompt };
}
