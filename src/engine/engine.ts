import type { ParamInfo, SynthesisParams } from '../protocol/messages.js';
import type { EngineCapacity } from './engine-capacity.js';
import type { TextPiece } from './text/split-sentences.js';

/** One piece of synthesized speech: mono float samples in [-1, 1] at the engine's sample rate. */
export interface AudioChunk {
  pcm: Float32Array;
  /** Speech tokens generated so far for this request (Chatterbox only); drives the tokens/s metric. */
  tokens?: number;
}

/** What a request asks of an engine, already validated against `EngineInfo`. */
export interface SynthesisRequest {
  text: string;
  voice: string;
  /** One of `EngineInfo.languages`. */
  language: string;
  /** Every declared parameter, defaults filled in. */
  params: SynthesisParams;
  /**
   * Streamed input: text pieces that follow `text` (which may then be empty), arriving while the request runs; the
   * request ends once this ends. Same voice, language and params throughout.
   */
  input?: AsyncIterable<TextPiece>;
  /** A reference clip for this request only (mono, 24 kHz), used instead of `voice`'s; needs `EngineInfo.voiceCloning`. */
  referenceAudio?: Float32Array;
}

/** What an engine tells the transport about itself; sent to clients in `ready` and shown in `/health`. */
export interface EngineInfo {
  name: string;
  sampleRateHz: number;
  voices: string[];
  defaultVoice: string;
  languages: string[];
  defaultLanguage: string;
  params: Record<string, ParamInfo>;
  /** Where inference runs, e.g. 'cpu', 'cuda:0', 'wasm'. */
  device: string;
  /** Free-form facts for `/health` (model dir, variant, dtype, provider). */
  details: Record<string, string>;
  /** True when voices can be cloned from a clip: uploads to the voice library and per-request reference clips. */
  voiceCloning?: boolean;
  /** A voice's stored default parameters (set on the main thread by the voice library); undefined: the engine's. */
  voiceDefaults?: (voice: string) => SynthesisParams | undefined;
}

/**
 * A text-to-speech engine. `synthesize` yields chunks as soon as they exist and stops (returns)
 * promptly once `signal` aborts; it throws TtsError for bad requests and failures.
 */
export interface Engine {
  readonly info: EngineInfo;
  synthesize(request: SynthesisRequest, signal: AbortSignal): AsyncIterable<AudioChunk>;
  /** Drops what the engine cached for a deleted voice; engines with fixed voices leave it out. */
  forgetVoice?(name: string): void;
  close(): Promise<void>;
  /** Batching engines only: calls `listener` with the throughput estimate each time a measured run changes it. */
  watchCapacity?(listener: (capacity: EngineCapacity) => void): void;
}
