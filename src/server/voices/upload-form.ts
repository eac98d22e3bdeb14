import type { EngineInfo } from '../../engine/engine.js';
import { checkParam } from '../../engine/resolve-request.js';
import { TtsError } from '../../protocol/errors.js';
import type { SynthesisParams } from '../../protocol/messages.js';
import { formField, multipartBoundary, parseMultipart, type FormPart } from '../multipart.js';

/** Parses a multipart/form-data body; throws TtsError UNSUPPORTED_MEDIA_TYPE or BAD_MESSAGE. */
export function readForm(body: Uint8Array, contentType: string): FormPart[] {
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined)
    throw new TtsError('UNSUPPORTED_MEDIA_TYPE', `content-type must be multipart/form-data with a boundary, got '${contentType.slice(0, 80)}'`);
  return parseMultipart(body, boundary);
}

/** A number field, or undefined when absent or empty; throws BAD_PARAM when it is not a number. */
export function numberField(parts: FormPart[], name: string): number | undefined {
  const text = formField(parts, name)?.trim();
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new TtsError('BAD_PARAM', `field '${name}' must be a number, got '${text.slice(0, 32)}'`);
  return value;
}

/**
 * The engine parameters a form sets: one field per parameter name (e.g. `exaggeration=0.7`), checked against the
 * engine's ranges. Throws TtsError BAD_PARAM.
 */
export function formParams(parts: FormPart[], info: EngineInfo, skip: readonly string[] = []): SynthesisParams {
  const params: SynthesisParams = {};
  for (const name of Object.keys(info.params)) {
    if (skip.includes(name)) continue;
    const value = numberField(parts, name);
    if (value === undefined) continue;
    checkParam(name, value, info);
    params[name] = value;
  }
  return params;
}
