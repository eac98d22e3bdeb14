import { element } from './dom.js';
import type { Player } from './player.js';
import type { PlayerReport } from './player-protocol.js';
import type { Recording } from './recording.js';
import type { DoneMessage, SpeechStream } from './tts-browser-client.js';
import { createWaveformView, type WaveformView } from './waveform.js';

/** Where the page is in speaking one utterance; shown in words and as `data-state` for tests and styles. */
export type Phase = 'idle' | 'connecting' | 'waiting' | 'buffering' | 'playing' | 'stopping' | 'stopped' | 'done' | 'error';

const PHASE_TEXT: Record<Phase, string> = {
  idle: 'Ready',
  connecting: 'Connecting…',
  waiting: 'Waiting for audio…',
  buffering: 'Buffering…',
  playing: 'Playing',
  stopping: 'Stopping…',
  stopped: 'Stopped',
  done: 'Finished',
  error: 'Error',
};

/** One press of Speak, from the click to the last sample played. */
export interface Utterance {
  token: number;
  player: Player;
  stream: SpeechStream;
  recording: Recording;
  /** performance.now() at the click, in ms. */
  clickedAtMs: number;
  /** performance.now() when the worklet played the first sample, in ms. */
  firstPlayedAtMs?: number;
  chunks: number;
  playedSamples: number;
  bufferedSec: number;
  underruns: number;
  /** Loudest sample the worklet played, 0–1: proof that sound, not silence, reached the graph. */
  peak: number;
  done?: DoneMessage;
  /** No more chunks will come (done, error, or cancelled). */
  received: boolean;
  /** The request ended with an error, shown on the page. */
  failed: boolean;
  stopped: boolean;
  drained: boolean;
}

/** The phase a worklet report moves the utterance to, if any; a failed one stays at 'error'. */
export function phaseAfter(u: Utterance, report: PlayerReport): Phase | undefined {
  if (u.failed) return undefined;
  if (u.stopped) return u.drained ? 'stopped' : 'stopping';
  if (u.drained && u.received) return 'done';
  if (report.state === 'playing') return 'playing';
  // Before the first sample the page says 'waiting'; after it, an empty buffer is a rebuffer after an underrun.
  if (u.firstPlayedAtMs !== undefined && report.state === 'buffering') return 'buffering';
  return undefined;
}

/** The live panel: status, waveform, level meter and the numbers. */
export interface LiveView {
  readonly waveform: WaveformView;
  showPhase(phase: Phase): void;
  /** Every worklet report: the level, and its sequence number (tests wait on it as proof the audio clock runs). */
  showLevel(report: PlayerReport): void;
  /** Writes the utterance's numbers into the page, and into data- attributes that tests read. */
  render(u: Utterance): void;
}

function seconds(samples: number, rate: number): string {
  return `${(samples / rate).toFixed(1)} s`;
}

/** Binds the live panel of index.html. */
export function createLiveView(): LiveView {
  const live = element('live');
  const status = element('status');
  const ttfaClient = element('ttfa-client');
  const ttfaServer = element('ttfa-server');
  const rtf = element('rtf');
  const buffered = element('buffered');
  const played = element('played');
  const received = element('received');
  const underruns = element('underruns');
  const chunks = element('chunks');
  const waveform = createWaveformView(element<HTMLCanvasElement>('waveform'), element('meter-bar'), element('meter-label'));
  return {
    waveform,
    showPhase(phase) {
      status.textContent = PHASE_TEXT[phase];
      status.dataset.state = phase;
      live.dataset.state = phase;
    },
    showLevel(report) {
      waveform.setLevel(report.peak, report.rms);
      live.dataset.reportSeq = String(report.seq);
    },
    render(u) {
      const rate = u.player.sampleRateHz;
      const ttfa = u.firstPlayedAtMs === undefined ? undefined : Math.round(u.firstPlayedAtMs - u.clickedAtMs);
      ttfaClient.textContent = ttfa === undefined ? '—' : `${ttfa} ms`;
      ttfaClient.dataset.ms = ttfa === undefined ? '' : String(ttfa);
      const metrics = u.done?.metrics;
      ttfaServer.textContent = metrics ? `${Math.round(metrics.ttfaMs)} ms` : '—';
      rtf.textContent = metrics && metrics.audioMs > 0 ? metrics.rtf.toFixed(3) : '—';
      buffered.textContent = `${u.bufferedSec.toFixed(2)} s`;
      played.textContent = seconds(u.playedSamples, rate);
      received.textContent = `of ${seconds(u.recording.samples, rate)} received`;
      underruns.textContent = String(u.underruns);
      chunks.textContent = `${u.chunks} chunk${u.chunks === 1 ? '' : 's'}${u.done?.cancelled ? ', cancelled' : ''}`;
      live.dataset.playedSamples = String(u.playedSamples);
      live.dataset.receivedSamples = String(u.recording.samples);
      live.dataset.underruns = String(u.underruns);
      live.dataset.peak = u.peak.toFixed(4);
      live.dataset.cancelled = String(u.done?.cancelled ?? false);
      waveform.setPlayed(u.playedSamples);
    },
  };
}
