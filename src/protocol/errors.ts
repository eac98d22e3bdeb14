/** Stable error codes of the wire protocol. Clients branch on these, never on messages. */
export const ERROR_CODES = {
  BAD_FRAME: { retryable: false, closeCode: 1007, httpStatus: 400 },
  BAD_MESSAGE: { retryable: false, closeCode: 1007, httpStatus: 400 },
  UNKNOWN_TYPE: { retryable: false, closeCode: 1007, httpStatus: 400 },
  TEXT_EMPTY: { retryable: false, closeCode: 1007, httpStatus: 400 },
  TEXT_TOO_LONG: { retryable: false, closeCode: 1009, httpStatus: 413 },
  TEXT_UNSPEAKABLE: { retryable: false, closeCode: 1007, httpStatus: 422 },
  UNKNOWN_VOICE: { retryable: false, closeCode: 1008, httpStatus: 400 },
  UNKNOWN_LANGUAGE: { retryable: false, closeCode: 1008, httpStatus: 400 },
  BAD_PARAM: { retryable: false, closeCode: 1008, httpStatus: 400 },
  BAD_FORMAT: { retryable: false, closeCode: 1008, httpStatus: 400 },
  DUPLICATE_ID: { retryable: false, closeCode: 1008, httpStatus: 409 },
  TOO_MANY_REQUESTS: { retryable: true, closeCode: 1013, httpStatus: 429 },
  FRAME_TOO_LARGE: { retryable: false, closeCode: 1009, httpStatus: 413 },
  BAD_JSON: { retryable: false, closeCode: 1007, httpStatus: 400 },
  UNSUPPORTED_MEDIA_TYPE: { retryable: false, closeCode: 1003, httpStatus: 415 },
  NOT_FOUND: { retryable: false, closeCode: 1008, httpStatus: 404 },
  METHOD_NOT_ALLOWED: { retryable: false, closeCode: 1008, httpStatus: 405 },
  SERVER_BUSY: { retryable: true, closeCode: 1013, httpStatus: 503 },
  DRAINING: { retryable: true, closeCode: 1012, httpStatus: 503 },
  NOT_READY: { retryable: true, closeCode: 1013, httpStatus: 503 },
  NO_BACKEND: { retryable: true, closeCode: 1013, httpStatus: 503 },
  CLIENT_TOO_SLOW: { retryable: true, closeCode: 1008, httpStatus: 408 },
  BACKEND_LOST: { retryable: true, closeCode: 1011, httpStatus: 502 },
  ENGINE_FAILED: { retryable: true, closeCode: 1011, httpStatus: 500 },
  INTERNAL: { retryable: true, closeCode: 1011, httpStatus: 500 },
  UNAUTHORIZED: { retryable: false, closeCode: 1008, httpStatus: 401 },
  FORBIDDEN: { retryable: false, closeCode: 1008, httpStatus: 403 },
  RATE_LIMITED: { retryable: true, closeCode: 1013, httpStatus: 429 },
  /** A `text`, `flush` or `end` frame names no request in flight on the connection. */
  UNKNOWN_REQUEST: { retryable: false, closeCode: 1008, httpStatus: 404 },
  /** A `text`, `flush` or `end` frame for a request whose input is closed (after `end`, or not streamed). */
  INPUT_CLOSED: { retryable: false, closeCode: 1008, httpStatus: 409 },
  /** A streamed request received no input for the input idle timeout and was ended. */
  INPUT_TIMEOUT: { retryable: true, closeCode: 1008, httpStatus: 408 },
  /** An upload that is not audio we can decode: unknown format, empty, truncated, or headers that lie about the data. */
  BAD_AUDIO: { retryable: false, closeCode: 1007, httpStatus: 400 },
  /** A reference clip shorter than the configured minimum duration. */
  AUDIO_TOO_SHORT: { retryable: false, closeCode: 1007, httpStatus: 400 },
  /** A reference clip longer than the configured maximum duration. */
  AUDIO_TOO_LONG: { retryable: false, closeCode: 1009, httpStatus: 413 },
  /** A voice name outside the allowed characters (letters, digits, '-', '_'; 1–64; no path parts). */
  BAD_VOICE_NAME: { retryable: false, closeCode: 1008, httpStatus: 400 },
  /** An upload under a name the voice library already holds. */
  VOICE_EXISTS: { retryable: false, closeCode: 1008, httpStatus: 409 },
  /** The engine has fixed voices (Flite): no uploads, no per-request reference clips. */
  CLONING_UNSUPPORTED: { retryable: false, closeCode: 1008, httpStatus: 422 },
  /** A change the balancer sent to every worker that some of them did not make; the body lists each worker's answer. */
  FANOUT_INCOMPLETE: { retryable: true, closeCode: 1011, httpStatus: 502 },
} as const satisfies Record<string, { retryable: boolean; closeCode: number; httpStatus: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `value` is one of the protocol's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The one error class of the project: a stable code, a human message, and whether a retry may succeed. */
export class TtsError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TtsError';
    this.code = code;
    this.retryable = options?.retryable ?? ERROR_CODES[code].retryable;
  }
}

/** The WebSocket close code (RFC 6455 §7.4) used when an error ends a whole connection. */
export function closeCodeFor(code: ErrorCode): number {
  return ERROR_CODES[code].closeCode;
}

/** The HTTP status answered for an error on an HTTP endpoint. */
export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code].httpStatus;
}

/** Wraps anything thrown into a TtsError; unknown failures become `fallback` (INTERNAL by default). */
export function toTtsError(err: unknown, fallback: ErrorCode = 'INTERNAL'): TtsError {
  if (err instanceof TtsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TtsError(fallback, message, { cause: err });
}
