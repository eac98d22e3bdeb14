/** A streaming encoder: mono float samples in, container bytes out as soon as the codec has them. */
export interface SpeechEncoder {
  /** The stream's media type, for Content-Type. */
  readonly contentType: string;
  /**
   * Encodes the next samples (in [-1, 1], at the rate the encoder was made for) and returns the bytes ready now,
   * maybe none; the container's header leads the first bytes returned.
   */
  encode(samples: Float32Array): Uint8Array;
  /** Flushes what the codec still holds and ends the stream; returns the last bytes. Call once, last. */
  finish(): Uint8Array;
}

/** Joins byte arrays into one (returns the only one as it is). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
