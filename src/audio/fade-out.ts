/**
 * Fades the last `samples` samples of `pcm` to silence with a raised-cosine curve, in place, and returns it: a
 * decode's end followed by the next decode's fade-in (or by the end of playback) would otherwise step from wherever
 * the speech stopped to zero, which is heard as a click.
 */
export function fadeOut(pcm: Float32Array, samples: number): Float32Array {
  const length = Math.min(pcm.length, Math.max(0, Math.floor(samples)));
  const start = pcm.length - length;
  for (let i = 0; i < length; i++) {
    const gain = 0.5 + 0.5 * Math.cos((Math.PI * (i + 1)) / length);
    pcm[start + i] = (pcm[start + i] ?? 0) * gain;
  }
  return pcm;
}
