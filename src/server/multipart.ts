import { TtsError } from '../protocol/errors.js';

/** One part of a multipart/form-data body: a text field, or a file when `filename` is set. */
export interface FormPart {
  name: string;
  filename: string | undefined;
  contentType: string;
  data: Uint8Array;
}

/** Limits on a form, so that a hostile body cannot make many parts or huge headers. */
export interface FormLimits {
  /** Most parts in one body. */
  maxParts: number;
  /** Most bytes of one part's headers. */
  maxHeaderBytes: number;
}

/** Defaults for `parseMultipart`. */
export const DEFAULT_FORM_LIMITS: FormLimits = { maxParts: 32, maxHeaderBytes: 4096 };

const CRLF = Uint8Array.of(13, 10);
const HEADER_END = Uint8Array.of(13, 10, 13, 10);
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  const last = haystack.length - needle.length;
  outer: for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The boundary of a multipart/form-data content type, or undefined when it is not one. */
export function multipartBoundary(contentType: string): string | undefined {
  const [mediaType, ...params] = contentType.split(';');
  if (mediaType?.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const param of params) {
    const match = /^\s*boundary=(?:"([^"]{1,70})"|([^\s";]{1,70}))\s*$/i.exec(param);
    if (match) return match[1] ?? match[2];
  }
  return undefined;
}

function parseDisposition(value: string): { name: string; filename: string | undefined } {
  if (!/^\s*form-data\s*(;|$)/i.test(value)) throw new TtsError('BAD_MESSAGE', 'multipart: a part is not form-data');
  const param = (key: string) => new RegExp(`;\\s*${key}="([^"]*)"`, 'i').exec(value)?.[1] ?? new RegExp(`;\\s*${key}=([^\\s";]+)`, 'i').exec(value)?.[1];
  const name = param('name');
  if (name === undefined || name === '') throw new TtsError('BAD_MESSAGE', 'multipart: a part has no field name');
  return { name, filename: param('filename') };
}

/**
 * Parses a whole multipart/form-data body (RFC 7578). Parts without a filename are fields; their values are read as UTF-8
 * by `formField`. Throws TtsError BAD_MESSAGE for a malformed body or one over the limits.
 */
export function parseMultipart(body: Uint8Array, boundary: string, limits: FormLimits = DEFAULT_FORM_LIMITS): FormPart[] {
  const delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
  // The first delimiter may start the body without the CRLF before it.
  const start = indexOf(body, delimiter.subarray(2), 0);
  if (start !== 0 && (start === -1 || indexOf(body, delimiter, 0) !== start - 2)) throw new TtsError('BAD_MESSAGE', 'multipart: no opening boundary');
  const parts: FormPart[] = [];
  let offset = start + delimiter.length - 2;
  for (;;) {
    if (body[offset] === 45 && body[offset + 1] === 45) return parts; // '--' closes the body
    if (body[offset] !== 13 || body[offset + 1] !== 10) throw new TtsError('BAD_MESSAGE', 'multipart: malformed boundary line');
    offset += CRLF.length;
    const headerEnd = indexOf(body, HEADER_END, offset);
    if (headerEnd === -1 || headerEnd - offset > limits.maxHeaderBytes) throw new TtsError('BAD_MESSAGE', 'multipart: part headers missing or too long');
    let disposition: string | undefined;
    let contentType = 'text/plain';
    for (const line of latin1.decode(body.subarray(offset, headerEnd)).split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new TtsError('BAD_MESSAGE', 'multipart: malformed part header');
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'content-disposition') disposition = value;
      else if (key === 'content-type') contentType = value;
    }
    if (disposition === undefined) throw new TtsError('BAD_MESSAGE', 'multipart: a part has no content-disposition');
    const dataStart = headerEnd + HEADER_END.length;
    const dataEnd = indexOf(body, delimiter, dataStart);
    if (dataEnd === -1) throw new TtsError('BAD_MESSAGE', 'multipart: the body ends inside a part (no closing boundary)');
    if (parts.length === limits.maxParts) throw new TtsError('BAD_MESSAGE', `multipart: more than ${limits.maxParts} parts`);
    parts.push({ ...parseDisposition(disposition), contentType, data: body.subarray(dataStart, dataEnd) });
    offset = dataEnd + delimiter.length;
  }
}

/** A text field's value, or undefined when absent; throws BAD_MESSAGE when it is a file, repeated, or not UTF-8. */
export function formField(parts: FormPart[], name: string): string | undefined {
  const found = parts.filter((p) => p.name === name);
  if (found.length === 0) return undefined;
  if (found.length > 1) throw new TtsError('BAD_MESSAGE', `field '${name}' is repeated`);
  try {
    return utf8.decode(found[0]!.data);
  } catch {
    throw new TtsError('BAD_MESSAGE', `field '${name}' is not UTF-8 text`);
  }
}

/** A file part's bytes (a field given as text counts too, as curl -F sends either), or undefined when absent. */
export function formFile(parts: FormPart[], name: string): FormPart | undefined {
  const found = parts.filter((p) => p.name === name);
  if (found.length > 1) throw new TtsError('BAD_MESSAGE', `file '${name}' is repeated`);
  return found[0];
}
