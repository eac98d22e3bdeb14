import type { ErrorCode } from '../../protocol/errors.js';
import type { EngineInfo, SynthesisRequest } from '../engine.js';
import type { EngineCapacity } from '../engine-capacity.js';
import type { TextPiece } from '../text/split-sentences.js';

/**
 * Main thread → engine thread. `credit` lets the thread send that many more chunks of a request. A `streamed`
 * request's input follows as `text` messages and one `text-end`, one message for each `want-text`.
 */
export type ToEngineThread =
  | { op: 'start'; rid: number; request: Omit<SynthesisRequest, 'input'>; credit: number; streamed?: boolean }
  | { op: 'text'; rid: number; piece: TextPiece }
  | { op: 'text-end'; rid: number }
  | { op: 'credit'; rid: number; credit: number }
  | { op: 'cancel'; rid: number }
  | { op: 'forget-voice'; name: string }
  | { op: 'close' };

/**
 * Engine thread → main thread. Every started request ends with exactly one `end` or `error`. `want-text`: a streamed
 * request's engine waits for its next piece of input.
 */
export type FromEngineThread =
  | { op: 'ready'; info: EngineInfo }
  | { op: 'init-error'; code: ErrorCode; message: string }
  | { op: 'chunk'; rid: number; pcm: Float32Array; tokens?: number }
  | { op: 'end'; rid: number }
  | { op: 'want-text'; rid: number }
  | { op: 'error'; rid: number; code: ErrorCode; message: string; retryable: boolean }
  | { op: 'capacity'; capacity: EngineCapacity }
  | { op: 'closed' };
