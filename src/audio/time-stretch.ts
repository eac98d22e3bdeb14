import { crossfade } from './crossfade.js';

/** Options of `createTimeStretch`. */
export interface TimeStretchOptions {
  /** Sample rate of the input and the output, in Hz. */
  sampleRateHz: number;
  /** Tempo factor: 2 plays twice as fast (half the duration), 0.5 half as fast; the pitch is kept. */
  speed: number;
  /** Length of one overlap-add frame, in ms; frames overlap by half. */
  frameMs: number;
  /**
   * How far a frame may move from its nominal place to line up with the waveform it continues, in ms. Twice this
   * must span the longest pitch period to be kept (12.5 ms for an 80 Hz voice).
   */
  toleranceMs: number;
}

/** Defaults of `TimeStretchOptions` (besides the rate and speed), tuned for speech. */
export const DEFAULT_TIME_STRETCH: Readonly<Pick<TimeStretchOptions, 'frameMs' | 'toleranceMs'>> = Object.freeze({ frameMs: 30, toleranceMs: 10 });

/** A streaming time stretch: samples in as they arrive, stretched samples out as soon as they are final. */
export interface TimeStretch {
  /** Takes the next input samples and returns the output that is now final (often shorter, possibly empty). */
  push(input: Float32Array): Float32Array;
  /** Ends the input and returns the rest: in all, round(input samples / speed) samples come out. */
  flush(): Float32Array;
  /** The most input samples `push` holds back: input beyond what the output so far has used, at any time. */
  readonly maxHeldSamples: number;
}

/**
 * Creates a WSOLA time stretch (waveform-similarity overlap-add, Verhelst & Roelands 1993). Output is made in blocks
 * of half a frame; block k crossfades the continuation of the frame before it into a frame taken near input position
 * k·hop·speed, moved within the tolerance to where it matches that continuation best (normalized cross-correlation),
 * so periods line up and the pitch is kept. Each decision depends only on absolute positions and samples, so the
 * output does not depend on how the input was cut into chunks. Throws RangeError on bad options.
 */
export function createTimeStretch(options: Partial<TimeStretchOptions> & Pick<TimeStretchOptions, 'sampleRateHz' | 'speed'>): TimeStretch {
  const { sampleRateHz, speed, frameMs, toleranceMs } = { ...DEFAULT_TIME_STRETCH, ...options };
  if (!(Number.isInteger(sampleRateHz) && sampleRateHz > 0)) throw new RangeError(`time stretch: sampleRateHz must be a positive integer, got ${sampleRateHz}`);
  if (!(speed > 0 && Number.isFinite(speed))) throw new RangeError(`time stretch: speed must be positive, got ${speed}`);
  if (!(frameMs > 0) || !(toleranceMs >= 0)) throw new RangeError('time stretch: frameMs must be positive and toleranceMs not negative');
  const hop = Math.max(1, Math.round((frameMs / 2000) * sampleRateHz));
  const tolerance = Math.round((toleranceMs / 1000) * sampleRateHz);
  /** Coarse search step: one sample in 8 kHz. */
  const stride = Math.max(1, Math.floor(sampleRateHz / 8000));

  let buffer = new Float32Array(4 * hop + 2 * tolerance);
  /** Absolute input index of buffer[0]. */
  let base = 0;
  /** Input samples received so far. */
  let received = 0;
  /** Next output block; block k is output samples [k·hop, (k+1)·hop). */
  let block = 0;
  /** Absolute input index of the frame the last block faded into. */
  let previous = 0;
  /** Output samples returned so far. */
  let emitted = 0;
  let ended = false;

  const at = (index: number) => (index >= base && index < received ? buffer[index - base]! : 0);
  const slice = (from: number, length: number) => {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = at(from + i);
    return out;
  };
  const nominal = (k: number) => Math.round(k * hop * speed);
  /**
   * Input needed before block k can be made, exclusive: its candidates, the continuation it fades from, and the input
   * its end stands for, so that no more than round(input / speed) samples are ever out before the end is known.
   */
  const needed = (k: number) => Math.max(k === 0 ? hop : Math.max(nominal(k) + tolerance + hop, previous + 2 * hop), Math.ceil((k + 1) * hop * speed));

  /**
   * The start within ±tolerance of `center`, and not past `last`, whose next `hop` samples best continue `tail`:
   * first every `stride`-th start on every `stride`-th sample (speech has little above 4 kHz to align on), then every
   * start next to the best of those on every sample. A tie keeps the earlier find, the nominal place first.
   */
  function bestStart(tail: Float32Array, center: number, last: number): number {
    const first = Math.max(0, center - tolerance);
    const final = Math.min(last, center + tolerance);
    let best = Math.max(0, center);
    let bestScore = score(tail, best, stride);
    for (let start = first; start <= final; start += stride) {
      const value = score(tail, start, stride);
      if (value > bestScore) {
        bestScore = value;
        best = start;
      }
    }
    if (stride === 1) return best;
    const coarse = best;
    bestScore = score(tail, coarse, 1);
    for (let start = Math.max(first, coarse - stride + 1); start <= Math.min(final, coarse + stride - 1); start++) {
      const value = start === coarse ? bestScore : score(tail, start, 1);
      if (value > bestScore) {
        bestScore = value;
        best = start;
      }
    }
    return best;
  }

  /** Normalized cross-correlation of `tail` with the input from `start`, on every `step`-th sample. */
  function score(tail: Float32Array, start: number, step: number): number {
    let dot = 0;
    let energy = 1e-9;
    const offset = start - base;
    if (start >= base && start + hop <= received) {
      for (let i = 0; i < hop; i += step) {
        const sample = buffer[offset + i]!;
        dot += tail[i]! * sample;
        energy += sample * sample;
      }
    } else {
      for (let i = 0; i < hop; i += step) {
        const sample = at(start + i);
        dot += tail[i]! * sample;
        energy += sample * sample;
      }
    }
    return dot / Math.sqrt(energy);
  }

  function makeBlock(): Float32Array {
    if (block === 0) {
      block = 1;
      return slice(0, hop);
    }
    const tail = slice(previous + hop, hop);
    // Once the input has ended, frames stay inside it (the last one is repeated, in step with its waveform, to fill
    // the last blocks) rather than fading into the silence past its end.
    const last = ended ? Math.max(0, received - 2 * hop) : Infinity;
    const start = bestStart(tail, Math.min(nominal(block), last), last);
    previous = start;
    block += 1;
    return crossfade(tail, slice(start, hop));
  }

  function append(input: Float32Array): void {
    // Keep what the next block may read: from the continuation of the previous frame or the earliest candidate, or,
    // should the input end with this chunk, the earliest candidate of a frame kept inside it.
    const keepFrom = Math.max(0, Math.min(previous + hop, nominal(block) - tolerance, received + input.length - 2 * hop - tolerance));
    const drop = Math.min(keepFrom, received) - base;
    const kept = received - base - drop;
    if (kept + input.length > buffer.length) {
      const grown = new Float32Array(Math.max(buffer.length * 2, kept + input.length));
      grown.set(buffer.subarray(drop, drop + kept));
      buffer = grown;
    } else if (drop > 0) {
      buffer.copyWithin(0, drop, drop + kept);
    }
    base += drop;
    buffer.set(input, kept);
    received += input.length;
  }

  function collect(limit: number): Float32Array {
    const blocks: Float32Array[] = [];
    while (ended ? emitted + blocks.length * hop < limit : needed(block) <= received) blocks.push(makeBlock());
    const total = Math.min(blocks.length * hop, limit - emitted);
    const out = new Float32Array(Math.max(0, total));
    for (const [index, made] of blocks.entries()) out.set(made.subarray(0, Math.max(0, Math.min(hop, total - index * hop))), index * hop);
    emitted += out.length;
    return out;
  }

  return {
    maxHeldSamples: Math.ceil(Math.max(hop + tolerance, 2 * hop + tolerance - hop * speed, hop * speed)) + 1,
    push(input) {
      if (ended) throw new Error('time stretch: push after flush');
      append(input);
      return collect(Infinity);
    },
    flush() {
      if (ended) return new Float32Array(0);
      ended = true;
      return collect(Math.round(received / speed));
    },
  };
}
