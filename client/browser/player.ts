import { resample } from '../../src/audio/resample.js';
import { PLAYER_PROCESSOR, type PlayerCommand, type PlayerProcessorOptions, type PlayerReport } from './player-protocol.js';

/** What the player needs to know; durations in ms are turned into frames at the context's rate. */
export interface PlayerOptions {
  /** Sample rate of the stream (`ready.sampleRate`), in Hz. */
  sampleRateHz: number;
  /** Audio held before playback starts and after an underrun, in ms. */
  prebufferMs: number;
  /** URL of the bundled player worklet. */
  workletUrl: string;
  /** Called on the main thread with every report from the audio thread. */
  onReport: (report: PlayerReport) => void;
}

/** Defaults of the player's timing, in ms. */
export const DEFAULT_PLAYER_TIMING = {
  /** Enough to ride out a late chunk without a gap, short enough not to be heard as delay. */
  prebufferMs: 150,
  /** Stop ramps to silence over this long: immediate to the ear, no click. */
  fadeMs: 5,
  /** How often the worklet reports levels and counters. */
  reportMs: 40,
} as const;

/** Thrown when this browser cannot play the stream (no AudioWorklet outside a secure context, for one). */
export class AudioUnavailableError extends Error {
  override readonly name = 'AudioUnavailableError';
}

/** The audio graph: player worklet → analyser → speakers, one utterance at a time. */
export interface Player {
  readonly context: AudioContext;
  /** Taps the output for level and waveform views. */
  readonly analyser: AnalyserNode;
  /** Sample rate of the stream it plays, in Hz. */
  readonly sampleRateHz: number;
  /** Starts a new utterance (dropping whatever was playing) and returns its token. */
  begin(): number;
  /** Queues samples at the stream's rate; the array's memory is handed to the audio thread. */
  push(token: number, samples: Float32Array): void;
  /** No more samples for this utterance: play out the rest. */
  end(token: number): void;
  /** Silences the utterance now (a 5 ms fade) and drops what is buffered. */
  stop(token: number): void;
  setPrebufferMs(ms: number): void;
  /** The worklet's frames (at the context's rate) as samples of the stream. */
  toStreamSamples(frames: number): number;
  close(): Promise<void>;
}

/**
 * Builds the graph. The context runs at the stream's rate where the browser allows it, so the browser
 * resamples to the device; where it refuses, chunks are resampled here. Throws AudioUnavailableError.
 */
export async function createPlayer(options: PlayerOptions): Promise<Player> {
  if (typeof AudioContext !== 'function') throw new AudioUnavailableError('this browser has no Web Audio API');
  let context: AudioContext;
  try {
    context = new AudioContext({ sampleRate: options.sampleRateHz, latencyHint: 'interactive' });
  } catch {
    context = new AudioContext({ latencyHint: 'interactive' });
  }
  // AudioWorklet exists only in secure contexts (https, or http on localhost).
  if (!context.audioWorklet) {
    void context.close();
    throw new AudioUnavailableError('audio playback needs a secure context: open the page over https or on localhost');
  }
  await context.audioWorklet.addModule(options.workletUrl);
  const rate = context.sampleRate;
  const frames = (ms: number) => Math.max(0, Math.round((ms / 1000) * rate));
  const processorOptions: PlayerProcessorOptions = {
    prebufferFrames: frames(options.prebufferMs),
    fadeFrames: frames(DEFAULT_PLAYER_TIMING.fadeMs),
    reportFrames: frames(DEFAULT_PLAYER_TIMING.reportMs),
  };
  const node = new AudioWorkletNode(context, PLAYER_PROCESSOR, { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1], processorOptions });
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  node.connect(analyser);
  analyser.connect(context.destination);
  node.port.onmessage = (event: MessageEvent<PlayerReport>) => options.onReport(event.data);

  const send = (command: PlayerCommand, transfer: Transferable[] = []) => node.port.postMessage(command, transfer);
  let token = 0;
  return {
    context,
    analyser,
    sampleRateHz: options.sampleRateHz,
    begin() {
      token += 1;
      send({ type: 'begin', token });
      return token;
    },
    push(t, samples) {
      const playable = rate === options.sampleRateHz ? samples : resample(samples, options.sampleRateHz, rate);
      send({ type: 'push', token: t, samples: playable }, [playable.buffer]);
    },
    end: (t) => send({ type: 'end', token: t }),
    stop: (t) => send({ type: 'stop', token: t }),
    setPrebufferMs: (ms) => send({ type: 'config', prebufferFrames: frames(ms) }),
    toStreamSamples: (f) => (rate === options.sampleRateHz ? f : Math.round((f * options.sampleRateHz) / rate)),
    async close() {
      node.port.onmessage = null;
      node.disconnect();
      await context.close();
    },
  };
}
