import type { ErrorCode } from './errors.js';

/** Bumped on any change a client of an older version could misread. Sent in `ready`. */
export const PROTOCOL_VERSION = 2;

/** The WebSocket path of the streaming endpoint, on workers and on the balancer alike. */
export const STREAM_PATH = '/v1/stream';

/** Sample encodings a client may ask for: signed 16-bit or 32-bit float, little-endian, mono. */
export const AUDIO_FORMATS = ['s16le', 'f32le'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

/**
 * What `start.format` may ask for on the WebSocket: a sample format, or `opus`, where the `audio` payloads are the
 * pages of one Ogg Opus stream (24 kHz mono) in seq order, for clients on slow links.
 */
export const STREAM_FORMATS = [...AUDIO_FORMATS, 'opus'] as const;
export type StreamFormat = (typeof STREAM_FORMATS)[number];

/** Engine parameters by name (e.g. `temperature`, `seed`, `speed`); each engine declares its own ranges. */
export type SynthesisParams = Record<string, number>;

/** The tempo every engine offers as `params.speed` (OpenAI's range): 2 speaks twice as fast, pitch kept. */
export const SPEED_PARAM: Readonly<ParamInfo> = Object.freeze({ min: 0.25, max: 4, default: 1 });

/** How a request's text arrives: all in `start`, or `stream`ed in `text` frames until `end`. */
export const INPUT_MODES = ['stream'] as const;
export type InputMode = (typeof INPUT_MODES)[number];

export interface StartMessage {
  type: 'start';
  /** Client-chosen request id, unique among the connection's requests in flight. */
  id: string;
  /** The text to speak; with `input: 'stream'` the first of it (may be empty or omitted on the wire). */
  text: string;
  /** 'stream': more text follows in `text` frames, and the request's input ends with `end`. */
  input?: InputMode;
  voice?: string;
  /** Language code for multilingual models, e.g. 'fr'; one of `ready.languages`. */
  language?: string;
  params?: SynthesisParams;
  format?: StreamFormat;
}

export interface CancelMessage {
  type: 'cancel';
  id: string;
}

/** Appends text to a streamed request's input. */
export interface TextMessage {
  type: 'text';
  id: string;
  text: string;
}

/** Speaks a streamed request's buffered text now, even mid-sentence. */
export interface FlushMessage {
  type: 'flush';
  id: string;
}

/** Closes a streamed request's input: the request ends with `done` after the audio of all its text. */
export interface EndMessage {
  type: 'end';
  id: string;
}

export type ClientMessage = StartMessage | CancelMessage | TextMessage | FlushMessage | EndMessage;

/** Every client frame type, as a version-2 server lists them in `ready.frames`. */
export const CLIENT_FRAME_TYPES = ['start', 'cancel', 'text', 'flush', 'end'] as const satisfies ReadonlyArray<ClientMessage['type']>;

/** A parameter an engine accepts, with its inclusive range and default. */
export interface ParamInfo {
  min: number;
  max: number;
  default: number;
  integer?: boolean;
}

export interface ReadyMessage {
  type: 'ready';
  protocol: number;
  /** Client frame types this server takes (absent before protocol 2, which took only `start` and `cancel`). */
  frames?: string[];
  engine: string;
  /** Sample rate of every `audio` frame on this connection, in Hz. */
  sampleRate: number;
  voices: string[];
  defaultVoice: string;
  /** Language codes accepted in `start.language` (just 'en' for English-only engines). */
  languages: string[];
  defaultLanguage: string;
  params: Record<string, ParamInfo>;
  limits: { maxTextChars: number; maxRequestsPerConnection: number; maxFrameBytes: number };
}

export interface AudioMessage {
  type: 'audio';
  id: string;
  /** 0, 1, 2, … per request, with no gap: a gap or repeat means loss or duplication. */
  seq: number;
  /** Raw mono samples in the request's format; with format `opus`, the next bytes of its Ogg Opus stream. */
  pcm: Uint8Array;
  /** Samples (at `ready.sampleRate`) this frame carries; with `opus`, those fed to the encoder since the last frame. */
  samples: number;
}

export interface RequestMetrics {
  /** Time from `start` received to the first `audio` frame sent, in ms. */
  ttfaMs: number;
  /** Wall time of synthesis divided by the duration of the audio produced. */
  rtf: number;
  /** Wall time from `start` to `done`, in ms. */
  totalMs: number;
  /** Duration of the audio produced, in ms. */
  audioMs: number;
  /** Speech tokens per second of generation (Chatterbox only). */
  tokensPerSec?: number;
}

export interface DoneMessage {
  type: 'done';
  id: string;
  /** Number of `audio` frames sent for this request. */
  chunks: number;
  /** Total samples sent for this request. */
  samples: number;
  /** True when the request ended because the client cancelled it. */
  cancelled: boolean;
  metrics: RequestMetrics;
}

export interface ErrorMessage {
  type: 'error';
  /** The request this error ends; absent for errors about the connection or an unreadable frame. */
  id?: string;
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** With RATE_LIMITED: how long to wait before trying again, in ms. */
  retryAfterMs?: number;
}

export type ServerMessage = ReadyMessage | AudioMessage | DoneMessage | ErrorMessage;
