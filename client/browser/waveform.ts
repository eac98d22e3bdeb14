/** The waveform of the utterance (received audio, with what has played highlighted) and a level meter. */
export interface WaveformView {
  /** Clears the view for a new utterance at `sampleRateHz`. */
  reset(sampleRateHz: number): void;
  /** Adds received samples (read before they are handed to the audio thread). */
  append(samples: Float32Array): void;
  /** How many samples of the utterance have played. */
  setPlayed(samples: number): void;
  /** Output level since the last call: peak and RMS, 0–1. */
  setLevel(peak: number, rms: number): void;
}

/** Each column of the waveform summarises at least this much audio, in ms. */
const BLOCK_MS = 10;
/** The view spans at least this long, so a short utterance grows from the left instead of stretching, in s. */
const MIN_SPAN_SEC = 6;
/** The meter's floor, in dBFS. */
const METER_FLOOR_DB = -60;

/** Draws into `canvas` on animation frames, and sets the meter's width and its label. */
export function createWaveformView(canvas: HTMLCanvasElement, meterBar: HTMLElement, meterLabel: HTMLElement): WaveformView {
  let blockSize = 160;
  let peaks: number[] = [];
  let pending = 0;
  let pendingPeak = 0;
  let played = 0;
  let dirty = true;
  let level = 0;

  const draw = () => {
    requestAnimationFrame(draw);
    if (!dirty) return;
    dirty = false;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const g = canvas.getContext('2d');
    if (!g) return;
    const style = getComputedStyle(canvas);
    g.clearRect(0, 0, width, height);
    const mid = height / 2;
    g.fillStyle = style.getPropertyValue('--wave-axis').trim() || '#ccc';
    g.fillRect(0, Math.floor(mid), width, Math.max(1, Math.round(ratio)));
    const sampleRate = (blockSize * 1000) / BLOCK_MS;
    const spanBlocks = Math.max(peaks.length, Math.ceil((MIN_SPAN_SEC * 1000) / BLOCK_MS));
    const playedBlocks = played / blockSize;
    const bar = Math.max(1, Math.round(2 * ratio));
    const step = bar + Math.max(1, Math.round(ratio));
    const playedColor = style.getPropertyValue('--wave-played').trim() || '#36c';
    const queuedColor = style.getPropertyValue('--wave-queued').trim() || '#9bd';
    for (let x = 0; x < width; x += step) {
      const from = Math.floor((x / width) * spanBlocks);
      const to = Math.max(from + 1, Math.floor(((x + step) / width) * spanBlocks));
      if (from >= peaks.length) break;
      let peak = 0;
      for (let i = from; i < to && i < peaks.length; i++) peak = Math.max(peak, peaks[i]!);
      const h = Math.max(bar, Math.min(1, peak * 1.6) * (height - 4 * ratio));
      g.fillStyle = from < playedBlocks ? playedColor : queuedColor;
      g.fillRect(x, mid - h / 2, bar, h);
    }
    if (peaks.length > 0 && played > 0) {
      const x = Math.min(width - 1, (playedBlocks / spanBlocks) * width);
      g.fillStyle = style.getPropertyValue('--wave-head').trim() || '#036';
      g.fillRect(Math.round(x), 0, Math.max(1, Math.round(ratio)), height);
    }
    canvas.dataset.seconds = ((peaks.length * blockSize) / sampleRate).toFixed(2);
  };
  requestAnimationFrame(draw);
  new ResizeObserver(() => (dirty = true)).observe(canvas);

  return {
    reset(sampleRateHz) {
      blockSize = Math.max(1, Math.round((sampleRateHz * BLOCK_MS) / 1000));
      peaks = [];
      pending = 0;
      pendingPeak = 0;
      played = 0;
      dirty = true;
    },
    append(samples) {
      for (let i = 0; i < samples.length; i++) {
        const s = samples[i]!;
        const magnitude = s < 0 ? -s : s;
        if (magnitude > pendingPeak) pendingPeak = magnitude;
        if (++pending === blockSize) {
          peaks.push(pendingPeak);
          pending = 0;
          pendingPeak = 0;
        }
      }
      dirty = true;
    },
    setPlayed(samples) {
      if (samples !== played) dirty = true;
      played = samples;
    },
    setLevel(peak, rms) {
      // Fast attack, slow release, as meters do, so speech reads as a level rather than flicker.
      const db = rms > 0 ? Math.max(METER_FLOOR_DB, 20 * Math.log10(rms)) : METER_FLOOR_DB;
      const target = (db - METER_FLOOR_DB) / -METER_FLOOR_DB;
      level = target > level ? target : level * 0.7 + target * 0.3;
      meterBar.style.clipPath = `inset(0 ${((1 - level) * 100).toFixed(1)}% 0 0)`;
      meterBar.dataset.clipping = String(peak >= 0.99);
      meterLabel.textContent = db > METER_FLOOR_DB ? `${db.toFixed(0)} dBFS` : '—';
    },
  };
}
