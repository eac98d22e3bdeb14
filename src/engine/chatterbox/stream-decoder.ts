import { crossfade } from '../../audio/crossfade.js';

/** When and how much to decode while tokens are still being generated. */
export interface ChunkingOptions {
  /** Tokens before the first chunk: small, for a low time to first audio (25 tokens = 1 s of audio). */
  firstChunkTokens: number;
  /** Tokens per later chunk. */
  chunkTokens: number;
  /** Already-emitted tokens decoded again before each new chunk, so the decoder sees their context. */
  contextTokens: number;
  /** Length of the crossfade at each seam, in ms. */
  crossfadeMs: number;
  /**
   * Newest tokens decoded only as right context: a chunk ends this many tokens before the newest token, because the
   * decoder's audio of a token depends on the tokens after it. The last chunk of an utterance has nothing to wait for.
   */
  lookaheadTokens: number;
}

/**
 * The real decoder's hard look-ahead: S3Gen's pre-lookahead convolution spans the next 3 tokens (`pre_lookahead_len`),
 * the tokens its own streaming mode drops from a chunk that is not the last (docs/chatterbox-engine.md).
 */
export const DEFAULT_LOOKAHEAD_TOKENS = 3;

/** Chunk sizes used where a setting is left out. */
export const DEFAULT_CHUNKING: Readonly<ChunkingOptions> = Object.freeze({
  firstChunkTokens: 10,
  chunkTokens: 25,
  contextTokens: 25,
  crossfadeMs: 20,
  lookaheadTokens: DEFAULT_LOOKAHEAD_TOKENS,
});

/** Decodes a window of generated speech tokens (prompt added by the caller) to audio for exactly those tokens. */
export type DecodeWindow = (tokens: readonly number[]) => Promise<Float32Array>;

/**
 * What one piece of a request hands to the next, so the two sound like one utterance: its last tokens, which the
 * next piece's decoder treats as already emitted left context (its first decode then starts past the graph's fade-in),
 * and its last crossfade samples, held back to be blended with the next piece's re-decode of them.
 */
export interface PieceHandoff {
  /** The previous piece's last emitted tokens (at most `contextTokens`). */
  tokens: readonly number[];
  /** The previous piece's last `crossfadeMs` of audio, not yet emitted. */
  heldTail: Float32Array;
}

/**
 * Turns a growing list of speech tokens into seamless audio chunks. Every sample of the final audio is
 * emitted exactly once: a chunk stops `lookaheadTokens` before the newest token (decoded, not emitted), its last
 * `crossfade` samples are held back and blended with the re-decoded start of the next one, and `flush` emits what
 * is left. Started from a `PieceHandoff`, it continues the previous piece: the same seams join the two.
 */
export class StreamDecoder {
  private readonly tokens: number[];
  private readonly handedTokens: number;
  private emittedTokens: number;
  private heldTail: Float32Array;
  private readonly crossfadeSamples: number;

  constructor(
    private readonly decode: DecodeWindow,
    private readonly options: ChunkingOptions,
    sampleRateHz: number,
    handoff?: PieceHandoff,
  ) {
    this.crossfadeSamples = Math.round((options.crossfadeMs / 1000) * sampleRateHz);
    this.tokens = [...(handoff?.tokens ?? [])];
    this.handedTokens = this.tokens.length;
    this.emittedTokens = this.tokens.length;
    this.heldTail = handoff?.heldTail ?? new Float32Array(0);
  }

  /** Adds one speech token; returns a chunk when enough tokens past the look-ahead have accumulated. */
  async push(token: number): Promise<Float32Array | undefined> {
    this.tokens.push(token);
    const ready = this.tokens.length - this.options.lookaheadTokens - this.emittedTokens;
    // Each piece's first chunk is the small one: its first audio is as early as the request's.
    const due = this.emittedTokens === this.handedTokens ? this.options.firstChunkTokens : this.options.chunkTokens;
    return ready >= due ? this.decodeUpTo(this.tokens.length - this.options.lookaheadTokens) : undefined;
  }

  /** Emits everything not yet emitted (the end of the utterance). */
  async flush(): Promise<Float32Array> {
    const { pcm, handoff } = await this.handOff();
    this.heldTail = new Float32Array(0);
    return handoff.heldTail.length === 0 ? pcm : concat([pcm, handoff.heldTail]);
  }

  /**
   * Ends this piece: emits its audio but for the last crossfade samples, which go with its last tokens into the
   * handoff for the next piece (or are emitted at the end of the request). `dropTokens` of the newest tokens are
   * decoded as right context but neither emitted nor handed on (the multilingual model's last 40 ms).
   */
  async handOff(dropTokens = 0): Promise<{ pcm: Float32Array; handoff: PieceHandoff }> {
    const emitEnd = Math.max(this.emittedTokens, this.tokens.length - dropTokens);
    const pcm = emitEnd > this.emittedTokens ? await this.decodeUpTo(emitEnd) : new Float32Array(0);
    const tokens = this.tokens.slice(Math.max(0, this.emittedTokens - this.options.contextTokens), this.emittedTokens);
    return { pcm, handoff: { tokens, heldTail: this.heldTail } };
  }

  /** Decodes every token (the newest as right context) and emits up to `emitEnd`, holding back the crossfade tail. */
  private async decodeUpTo(emitEnd: number): Promise<Float32Array> {
    const end = this.tokens.length;
    const start = Math.max(0, this.emittedTokens - this.options.contextTokens);
    const wave = await this.decode(this.tokens.slice(start, end));
    const samplesPerToken = wave.length / (end - start);
    const newStart = Math.round((this.emittedTokens - start) * samplesPerToken);
    const newEnd = Math.round((emitEnd - start) * samplesPerToken);
    const fade = Math.min(this.heldTail.length, newStart);
    const keep = Math.min(this.crossfadeSamples, newEnd - newStart);

    const parts: Float32Array[] = [];
    if (this.heldTail.length > fade) parts.push(this.heldTail.subarray(0, this.heldTail.length - fade));
    if (fade > 0) parts.push(crossfade(this.heldTail.subarray(this.heldTail.length - fade), wave.subarray(newStart - fade, newStart)));
    parts.push(wave.subarray(newStart, newEnd - keep));
    this.heldTail = wave.slice(newEnd - keep, newEnd);
    this.emittedTokens = emitEnd;
    return concat(parts);
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
