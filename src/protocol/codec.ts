import { Packr } from 'msgpackr';
import { TtsError } from './errors.js';
import { INPUT_MODES, STREAM_FORMATS, type StreamFormat, type ClientMessage, type ServerMessage, type SynthesisParams } from './messages.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true, int64AsType: 'number' });

/** Longest request id accepted, in characters. */
export const MAX_ID_CHARS = 128;

/** Serialises one protocol message into a binary WebSocket frame. */
export function encodeFrame(message: ClientMessage | ServerMessage): Uint8Array {
  return packr.pack(message);
}

function unpack(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    throw new TtsError('BAD_FRAME', 'frame is not valid msgpack', { cause: err });
  }
  // Only a plain object is a map: msgpackr decodes the reserved byte 0xc1 and extensions (timestamps) to other objects.
  const proto: unknown = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new TtsError('BAD_FRAME', 'frame must be a msgpack map');
  }
  // A repeated key keeps its last value here but its first in a relay's peek, so the two would disagree on what
  // the frame is (a start that escapes the balancer's tracking, issue 11): such a frame means nothing, refuse it.
  if (Object.keys(value as object).length !== mapEntryCount(bytes)) {
    throw new TtsError('BAD_FRAME', 'frame repeats a key');
  }
  return value as Record<string, unknown>;
}

/** The entry count a msgpack map's header declares (fixmap, map16 or map32), or -1 when the frame is no map. */
function mapEntryCount(bytes: Uint8Array): number {
  const head = bytes[0];
  if (head === undefined) return -1;
  if (head >= 0x80 && head <= 0x8f) return head - 0x80;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (head === 0xde && bytes.byteLength >= 3) return view.getUint16(1);
  if (head === 0xdf && bytes.byteLength >= 5) return view.getUint32(1);
  return -1;
}

/** A frame's `type` for an error message; String() would throw on a map whose toString and valueOf are not functions. */
function describeType(type: unknown): string {
  return typeof type === 'string' ? `'${type.slice(0, 40)}'` : `of kind ${typeof type}`;
}

function fail(message: string): never {
  throw new TtsError('BAD_MESSAGE', message);
}

function requireId(frame: Record<string, unknown>): string {
  const id = frame.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_CHARS) {
    fail(`'id' must be a string of 1 to ${MAX_ID_CHARS} characters`);
  }
  return id;
}

/** Checks a request's `params` (from a frame or a JSON body): a map of names to finite numbers. Throws TtsError BAD_MESSAGE. */
export function parseParams(value: unknown): SynthesisParams {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    fail("'params' must be a map of names to numbers");
  }
  const params: SynthesisParams = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`param '${name.slice(0, 64)}' must be a finite number`);
    params[name] = v;
  }
  return params;
}

/** A language code as the protocol carries it: 1 to 16 characters. */
export function isLanguage(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 16;
}

function isStreamFormat(value: unknown): value is StreamFormat {
  return (STREAM_FORMATS as readonly unknown[]).includes(value);
}

/**
 * Reads a client frame and checks its shape. Throws TtsError BAD_FRAME (not msgpack, not a map),
 * UNKNOWN_TYPE, or BAD_MESSAGE (missing or mistyped field). Range checks belong to the server.
 */
export function decodeClientMessage(bytes: Uint8Array): ClientMessage {
  const frame = unpack(bytes);
  switch (frame.type) {
    case 'start': {
      const id = requireId(frame);
      if (frame.input !== undefined && !(INPUT_MODES as readonly unknown[]).includes(frame.input)) {
        fail(`'input' must be one of ${INPUT_MODES.join(', ')}`);
      }
      const streamed = frame.input !== undefined;
      if (typeof frame.text !== 'string' && !(streamed && frame.text === undefined)) fail("'text' must be a string");
      if (frame.voice !== undefined && typeof frame.voice !== 'string') fail("'voice' must be a string");
      if (frame.language !== undefined && !isLanguage(frame.language)) fail("'language' must be a language code such as 'en'");
      if (frame.format !== undefined && !isStreamFormat(frame.format)) {
        fail(`'format' must be one of ${STREAM_FORMATS.join(', ')}`);
      }
      const message: ClientMessage = { type: 'start', id, text: (frame.text as string | undefined) ?? '' };
      if (streamed) message.input = 'stream';
      if (frame.voice !== undefined) message.voice = frame.voice;
      if (frame.language !== undefined) message.language = frame.language as string;
      if (frame.params !== undefined) message.params = parseParams(frame.params);
      if (frame.format !== undefined) message.format = frame.format;
      return message;
    }
    case 'cancel':
    case 'flush':
    case 'end':
      return { type: frame.type, id: requireId(frame) };
    case 'text': {
      const id = requireId(frame);
      if (typeof frame.text !== 'string') fail("'text' must be a string");
      return { type: 'text', id, text: frame.text };
    }
    case undefined:
      return fail("frame has no 'type'");
    default:
      throw new TtsError('UNKNOWN_TYPE', `unknown frame type ${describeType(frame.type)}`);
  }
}

/** Best effort: the `id` of a frame that failed validation, so its error can name the request. */
export function peekRequestId(bytes: Uint8Array): string | undefined {
  try {
    const id = (packr.unpack(bytes) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_CHARS ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a server frame (used by clients and the balancer). Throws TtsError BAD_FRAME on anything malformed. */
export function decodeServerMessage(bytes: Uint8Array): ServerMessage {
  const frame = unpack(bytes);
  const bad = (what: string): never => {
    throw new TtsError('BAD_FRAME', `server frame: ${what}`);
  };
  switch (frame.type) {
    case 'ready':
      if (typeof frame.sampleRate !== 'number' || !Array.isArray(frame.voices)) bad('malformed ready');
      return frame as unknown as ServerMessage;
    case 'audio':
      if (typeof frame.id !== 'string' || typeof frame.seq !== 'number' || !(frame.pcm instanceof Uint8Array)) {
        bad('malformed audio');
      }
      return frame as unknown as ServerMessage;
    case 'done':
      if (typeof frame.id !== 'string') bad('malformed done');
      return frame as unknown as ServerMessage;
    case 'error':
      if (typeof frame.code !== 'string' || typeof frame.message !== 'string') bad('malformed error');
      return frame as unknown as ServerMessage;
    default:
      return bad(`unknown type ${describeType(frame.type)}`);
  }
}

/** Offset of a msgpack map's first key (fixmap, map16 or map32 header), or -1 when the frame is no map. */
function mapBodyOffset(bytes: Uint8Array): number {
  const head = bytes[0];
  if (head === undefined) return -1;
  return head >= 0x80 && head <= 0x8f ? 1 : head === 0xde ? 3 : head === 0xdf ? 5 : -1;
}

/** A msgpack string (fixstr or str8) at `offset`: its text and the offset after it, or undefined. */
function readShortString(bytes: Uint8Array, offset: number): { text: string; end: number } | undefined {
  const tag = bytes[offset];
  if (tag === undefined) return undefined;
  const [length, start] = tag >= 0xa0 && tag <= 0xbf ? [tag - 0xa0, offset + 1] : tag === 0xd9 ? [bytes[offset + 1] ?? -1, offset + 2] : [-1, 0];
  if (length < 0 || start + length > bytes.length) return undefined;
  return { text: new TextDecoder().decode(bytes.subarray(start, start + length)), end: start + length };
}

/** The first `count` keys and string values of a map, read without decoding the rest (stops at a non-string value). */
function peekLeadingStrings(bytes: Uint8Array, count: number): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let offset = mapBodyOffset(bytes);
  if (offset < 0) return pairs;
  while (pairs.length < count) {
    const key = readShortString(bytes, offset);
    const value = key && readShortString(bytes, key.end);
    if (!key || !value) break;
    pairs.push([key.text, value.text]);
    offset = value.end;
  }
  return pairs;
}

/**
 * The `type` of a frame read straight from its bytes when it is the map's first key (as encodeFrame
 * writes it), without decoding the rest: lets a relay pass audio through untouched. Undefined when the
 * layout differs; callers then decode the frame fully.
 */
export function peekFrameType(bytes: Uint8Array): string | undefined {
  const [first] = peekLeadingStrings(bytes, 1);
  return first?.[0] === 'type' ? first[1] : undefined;
}

/**
 * The `id` of a frame read straight from its bytes when it is the second key, right after `type` (as
 * encodeFrame writes audio frames), without decoding the rest. Undefined when the layout differs.
 */
export function peekFrameId(bytes: Uint8Array): string | undefined {
  const [first, second] = peekLeadingStrings(bytes, 2);
  return first?.[0] === 'type' && second?.[0] === 'id' ? second[1] : undefined;
}
