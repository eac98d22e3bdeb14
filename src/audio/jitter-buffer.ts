/**
 * A playout buffer for streamed mono audio: chunks go in as they arrive, fixed-size blocks come out at the
 * audio clock (an AudioWorklet's 128-frame quanta). Pure and allocation-free on the render path, so the
 * browser player runs it on the audio thread and the tests run it in Node.
 */

/** How the buffer waits for audio. Frames are samples of the mono stream at the playback rate. */
export interface JitterBufferOptions {
  /** Frames held before playback starts, and again after an underrun, so network jitter does not stutter. */
  prebufferFrames: number;
}

/**
 * `idle`: nothing to play and nothing expected. `buffering`: a stream is open and has fewer than
 * `prebufferFrames` queued. `playing`: frames are going out.
 */
export type JitterBufferState = 'idle' | 'buffering' | 'playing';

/** What `render` did with one block. */
export interface RenderResult {
  /** Frames taken from the queue; the rest of the block is silence. */
  frames: number;
  /** The first frame of the stream went out in this block. */
  started: boolean;
  /** The queue ran dry before the stream ended (counted once per gap). */
  underrun: boolean;
  /** The stream ended (or was stopped) and its last frame went out in this block. */
  drained: boolean;
}

/** A playout buffer; `render` is called once per audio block, everything else from the page's messages. */
export interface JitterBuffer {
  readonly state: JitterBufferState;
  /** Frames queued and not yet played. */
  readonly bufferedFrames: number;
  /** Frames played since the last `reset`. */
  readonly playedFrames: number;
  /** Times the queue ran dry mid-stream since the last `reset`. */
  readonly underruns: number;
  /** Frames that must be queued before playback (re)starts. */
  prebufferFrames: number;
  /** Queues a chunk (kept by reference: do not reuse its memory). */
  push(samples: Float32Array): void;
  /** No more chunks for this stream: play out what is queued even if it is shorter than the prebuffer. */
  end(): void;
  /**
   * Stops now: at most `fadeFrames` more frames go out, ramped linearly to silence so the cut does not
   * click, and everything after them is dropped.
   */
  stop(fadeFrames: number): void;
  /** Drops everything and zeroes the counters for a new stream. */
  reset(): void;
  /** Fills `out` with the next frames (silence where there are none). */
  render(out: Float32Array): RenderResult;
}

/** Creates an empty buffer; throws RangeError when `prebufferFrames` is negative or not an integer. */
export function createJitterBuffer(options: JitterBufferOptions): JitterBuffer {
  checkPrebuffer(options.prebufferFrames);
  let prebufferFrames = options.prebufferFrames;
  const chunks: Float32Array[] = [];
  /** Frames of chunks[0] already played. */
  let offset = 0;
  let bufferedFrames = 0;
  let playedFrames = 0;
  let underruns = 0;
  let state: JitterBufferState = 'idle';
  let ended = false;
  /** Frames of fade-out still to go, out of fadeTotal; 0 when not stopping. */
  let fadeLeft = 0;
  let fadeTotal = 0;

  const drop = () => {
    chunks.length = 0;
    offset = 0;
    bufferedFrames = 0;
    fadeLeft = 0;
    fadeTotal = 0;
  };

  return {
    get state() {
      return state;
    },
    get bufferedFrames() {
      return bufferedFrames;
    },
    get playedFrames() {
      return playedFrames;
    },
    get underruns() {
      return underruns;
    },
    get prebufferFrames() {
      return prebufferFrames;
    },
    set prebufferFrames(frames: number) {
      checkPrebuffer(frames);
      prebufferFrames = frames;
    },
    push(samples) {
      if (ended || samples.length === 0) return;
      chunks.push(samples);
      bufferedFrames += samples.length;
      if (state === 'idle') state = 'buffering';
    },
    end() {
      ended = true;
    },
    stop(fadeFrames) {
      ended = true;
      if (state !== 'playing') {
        drop();
        state = 'idle';
        return;
      }
      const keep = Math.max(0, Math.min(bufferedFrames, Math.floor(fadeFrames)));
      truncate(keep);
      fadeLeft = keep;
      fadeTotal = keep;
    },
    reset() {
      drop();
      playedFrames = 0;
      underruns = 0;
      ended = false;
      state = 'idle';
    },
    render(out) {
      const result: RenderResult = { frames: 0, started: false, underrun: false, drained: false };
      if (state === 'buffering') {
        // An ended stream plays out a tail shorter than the prebuffer; one that underran and then ended has none.
        if (bufferedFrames > 0 && (bufferedFrames >= prebufferFrames || ended)) {
          state = 'playing';
          result.started = playedFrames === 0;
        } else if (bufferedFrames === 0 && ended) {
          state = 'idle';
          result.drained = true;
        }
      }
      let written = 0;
      if (state === 'playing') {
        while (written < out.length && chunks.length > 0) {
          const chunk = chunks[0]!;
          const n = Math.min(out.length - written, chunk.length - offset);
          for (let i = 0; i < n; i++) out[written + i] = chunk[offset + i]!;
          written += n;
          offset += n;
          if (offset === chunk.length) {
            chunks.shift();
            offset = 0;
          }
        }
        bufferedFrames -= written;
        playedFrames += written;
        if (fadeTotal > 0) {
          for (let i = 0; i < written; i++) out[i] = out[i]! * (--fadeLeft / fadeTotal);
        }
        if (bufferedFrames === 0) {
          if (ended) {
            state = 'idle';
            result.drained = true;
            fadeTotal = 0;
          } else {
            state = 'buffering';
            result.underrun = true;
            underruns += 1;
          }
        }
      }
      out.fill(0, written);
      result.frames = written;
      return result;
    },
  };

  /** Keeps only the next `frames` queued frames. */
  function truncate(frames: number): void {
    let left = frames;
    let kept = 0;
    for (; kept < chunks.length && left > 0; kept++) {
      const chunk = chunks[kept]!;
      const available = chunk.length - (kept === 0 ? offset : 0);
      if (available > left) chunks[kept] = chunk.subarray(0, (kept === 0 ? offset : 0) + left);
      left -= Math.min(available, left);
    }
    chunks.length = kept;
    bufferedFrames = frames;
    if (frames === 0) offset = 0;
  }
}

function checkPrebuffer(frames: number): void {
  if (!Number.isInteger(frames) || frames < 0) throw new RangeError(`prebufferFrames must be a non-negative integer, got ${frames}`);
}
