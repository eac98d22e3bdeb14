import { TtsError } from '../protocol/errors.js';
import type { SynthesisParams } from '../protocol/messages.js';
import type { EngineInfo, SynthesisRequest } from './engine.js';

/** What a client asked for, before validation. */
export interface RequestedSynthesis {
  text: string;
  voice?: string | undefined;
  language?: string | undefined;
  params?: SynthesisParams | undefined;
  /** A reference clip for this request only (mono, 24 kHz); needs `EngineInfo.voiceCloning`. */
  referenceAudio?: Float32Array | undefined;
}

/** Checks one parameter against the engine's declared range; throws TtsError BAD_PARAM. */
export function checkParam(name: string, value: number, info: EngineInfo): void {
  // Own keys only: 'toString' or 'constructor' would otherwise find Object.prototype's and pass unchecked.
  const spec = Object.hasOwn(info.params, name) ? info.params[name] : undefined;
  if (!spec) {
    const known = Object.keys(info.params).join(', ') || 'none';
    throw new TtsError('BAD_PARAM', `unknown param '${name.slice(0, 64)}'; this engine takes: ${known}`);
  }
  if (!(value >= spec.min && value <= spec.max) || (spec.integer === true && !Number.isInteger(value))) {
    const kind = spec.integer === true ? 'an integer' : 'a number';
    throw new TtsError('BAD_PARAM', `param '${name}' must be ${kind} in ${spec.min}..${spec.max}, got ${value}`);
  }
}

/**
 * Checks a request against the engine and the text limit and fills in defaults; `allowEmpty` for a streamed request.
 * Throws TtsError TEXT_EMPTY, TEXT_TOO_LONG, UNKNOWN_VOICE, UNKNOWN_LANGUAGE or BAD_PARAM.
 */
export function resolveRequest(asked: RequestedSynthesis, info: EngineInfo, maxTextChars: number, options: { allowEmpty?: boolean } = {}): SynthesisRequest {
  const text = asked.text.trim();
  if (text.length === 0 && options.allowEmpty !== true) throw new TtsError('TEXT_EMPTY', 'text is empty');
  // Count code points, not UTF-16 units, so the limit means characters to users of any script.
  const chars = [...asked.text].length;
  if (chars > maxTextChars) {
    throw new TtsError('TEXT_TOO_LONG', `text has ${chars} characters; the limit is ${maxTextChars}`);
  }
  const voice = asked.voice ?? info.defaultVoice;
  if (asked.referenceAudio && info.voiceCloning !== true) throw new TtsError('CLONING_UNSUPPORTED', 'cloning not supported by this engine');
  // With a clip of its own the request needs no stored voice; `voice` only names it in logs.
  if (!asked.referenceAudio && !info.voices.includes(voice)) {
    throw new TtsError('UNKNOWN_VOICE', `unknown voice '${voice.slice(0, 64)}'; available: ${info.voices.join(', ')}`);
  }
  const language = asked.language?.toLowerCase() ?? info.defaultLanguage;
  if (!info.languages.includes(language)) {
    throw new TtsError('UNKNOWN_LANGUAGE', `unknown language '${language.slice(0, 16)}'; available: ${info.languages.join(', ')}`);
  }
  const params: SynthesisParams = {};
  for (const [name, spec] of Object.entries(info.params)) params[name] = spec.default;
  // A stored voice's defaults were checked against the ranges when it was uploaded; the request's own values win.
  const voiceDefaults = asked.referenceAudio ? undefined : info.voiceDefaults?.(voice);
  for (const [name, value] of Object.entries(voiceDefaults ?? {})) if (Object.hasOwn(info.params, name)) params[name] = value;
  for (const [name, value] of Object.entries(asked.params ?? {})) {
    checkParam(name, value, info);
    params[name] = value;
  }
  return asked.referenceAudio ? { text, voice, language, params, referenceAudio: asked.referenceAudio } : { text, voice, language, params };
}
