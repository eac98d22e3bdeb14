// The audio-thread half of the player: a jitter buffer drained one 128-frame quantum at a time.
// Loaded by URL with audioWorklet.addModule, so it is bundled on its own (scripts/build-browser.mjs).
import { createJitterBuffer, type JitterBuffer } from '../../src/audio/jitter-buffer.js';
import { PLAYER_PROCESSOR, type PlayerCommand, type PlayerProcessorOptions, type PlayerReport } from './player-protocol.js';

// The AudioWorkletGlobalScope (https://webaudio.github.io/web-audio-api/#AudioWorkletGlobalScope) is not in
// TypeScript's DOM library; these declarations are erased and the names resolve to that scope's globals.
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new (options: { processorOptions: PlayerProcessorOptions }) => AudioWorkletProcessor): void;

class PlayerProcessor extends AudioWorkletProcessor {
  private readonly buffer: JitterBuffer;
  private readonly fadeFrames: number;
  private readonly reportFrames: number;
  private token = 0;
  private seq = 0;
  private sinceReport = 0;
  private peak = 0;
  private sumSquares = 0;

  constructor(options: { processorOptions: PlayerProcessorOptions }) {
    super();
    const { prebufferFrames, fadeFrames, reportFrames } = options.processorOptions;
    this.buffer = createJitterBuffer({ prebufferFrames });
    this.fadeFrames = fadeFrames;
    this.reportFrames = reportFrames;
    this.port.onmessage = (event: MessageEvent<PlayerCommand>) => this.command(event.data);
  }

  private command(command: PlayerCommand): void {
    if (command.type === 'config') {
      this.buffer.prebufferFrames = command.prebufferFrames;
      return;
    }
    if (command.type === 'begin') {
      this.token = command.token;
      this.buffer.reset();
      return;
    }
    if (command.token !== this.token) return;
    switch (command.type) {
      case 'push':
        this.buffer.push(command.samples);
        return;
      case 'end':
        this.buffer.end();
        return;
      case 'stop': {
        const wasPlaying = this.buffer.state === 'playing';
        this.buffer.stop(this.fadeFrames);
        // Not playing: the buffer emptied at once, so say so now; otherwise `drained` follows the fade.
        if (!wasPlaying) this.report('stopped');
        return;
      }
    }
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    if (!out) return true;
    const result = this.buffer.render(out);
    for (let i = 0; i < result.frames; i++) {
      const s = out[i]!;
      const magnitude = s < 0 ? -s : s;
      if (magnitude > this.peak) this.peak = magnitude;
      this.sumSquares += s * s;
    }
    this.sinceReport += out.length;
    if (result.started) this.report('started');
    else if (result.drained) this.report('drained');
    else if (result.underrun) this.report('underrun');
    else if (this.sinceReport >= this.reportFrames) this.report('tick');
    // Keep the processor alive between utterances: the page reuses one node.
    return true;
  }

  private report(event: PlayerReport['event']): void {
    const report: PlayerReport = {
      type: 'report',
      seq: ++this.seq,
      token: this.token,
      event,
      state: this.buffer.state,
      playedFrames: this.buffer.playedFrames,
      bufferedFrames: this.buffer.bufferedFrames,
      underruns: this.buffer.underruns,
      peak: this.peak,
      rms: this.sinceReport > 0 ? Math.sqrt(this.sumSquares / this.sinceReport) : 0,
    };
    this.port.postMessage(report);
    this.sinceReport = 0;
    this.peak = 0;
    this.sumSquares = 0;
  }
}

registerProcessor(PLAYER_PROCESSOR, PlayerProcessor);
