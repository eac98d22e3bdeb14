/** Messages between the page and the player worklet (client/browser/player-worklet.ts), over its MessagePort. */

/** The name the worklet registers its processor under. */
export const PLAYER_PROCESSOR = 'tts-player';

/** Passed as `processorOptions` when the worklet node is created. */
export interface PlayerProcessorOptions {
  /** Frames buffered before playback starts (and after an underrun), at the context's rate. */
  prebufferFrames: number;
  /** Frames of fade-out on stop: short enough to sound immediate, long enough not to click. */
  fadeFrames: number;
  /** Frames between two reports to the page. */
  reportFrames: number;
}

/**
 * Page → worklet. Every stream command carries the utterance's `token`; the worklet ignores stale ones, so
 * chunks still in flight from a stopped utterance never play.
 */
export type PlayerCommand =
  | { type: 'begin'; token: number }
  | { type: 'push'; token: number; samples: Float32Array }
  | { type: 'end'; token: number }
  | { type: 'stop'; token: number }
  | { type: 'config'; prebufferFrames: number };

/** Worklet → page, every `reportFrames` and at once on `started`, `drained`, `stopped` and `underrun`. */
export interface PlayerReport {
  type: 'report';
  /** Increases by one with every report: the audio clock is running. */
  seq: number;
  token: number;
  event: 'tick' | 'started' | 'underrun' | 'drained' | 'stopped';
  state: 'idle' | 'buffering' | 'playing';
  /** Frames of this utterance that went out to the audio graph. */
  playedFrames: number;
  bufferedFrames: number;
  underruns: number;
  /** Largest absolute sample since the previous report, 0–1. */
  peak: number;
  /** Root mean square since the previous report, 0–1. */
  rms: number;
}
