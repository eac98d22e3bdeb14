import { cutLongSentence, textWeight } from './cut-long-sentence.js';
import { splitSentences, type TextPiece } from './split-sentences.js';

/** How `InputSegmenter` cuts streamed text. */
export interface InputSegmenterOptions {
  /** BCP 47 language of the text; picks the sentence and word rules. */
  language?: string | undefined;
  /** An unfinished sentence heavier than this (by `textWeight`) is cut at its clauses (or words) already complete. */
  clauseChars: number;
  /** The shortest unfinished sentence worth speaking when the wait for more text runs out (by `textWeight`). */
  minChars: number;
}

/** Default cut lengths, in characters: a clause of about 8 s of speech, a piece of about 1.5 s. */
export const DEFAULT_INPUT_SEGMENTER: Omit<InputSegmenterOptions, 'language'> = { clauseChars: 120, minChars: 24 };

/** Far more than any buffer: `splitSentences` then cuts only at sentence ends. */
const UNCUT = Number.MAX_SAFE_INTEGER;

/**
 * Cuts text that arrives in pieces into the pieces to speak. A sentence is ready once text follows its end (so
 * `Dr.`, `3.14` and `e.g.` are not cut: the sentence rules see what comes next), or at a line break; an unfinished
 * sentence grown past `clauseChars` gives up its complete clauses. What is left waits for more text, for `take` (the
 * wait ran out), or for `takeAll` (flush, end). Pure and synchronous; the caller owns the timers.
 */
export class InputSegmenter {
  private buffer = '';
  /** The buffer begins inside a sentence whose start was spoken already. */
  private midSentence = false;

  constructor(private readonly options: InputSegmenterOptions) {}

  /** True while text waits to be spoken. */
  get pending(): boolean {
    return this.buffer.trim() !== '';
  }

  /** Appends text; returns the pieces it made ready, in order (often none). */
  append(text: string): TextPiece[] {
    this.buffer += text;
    const lineEnded = /[\n\r\v\f\u0085\u2028\u2029]\s*$/u.test(this.buffer);
    const sentences = splitSentences(this.buffer, { maxChars: UNCUT, language: this.options.language });
    const ready = lineEnded ? sentences : sentences.slice(0, -1);
    const rest = lineEnded ? undefined : sentences.at(-1);
    const pieces = ready.map((piece) => this.placed(piece.text, true));
    this.buffer = rest === undefined ? '' : rest.text + (/\s$/u.test(this.buffer) ? ' ' : '');
    if (rest !== undefined && textWeight(rest.text) > this.options.clauseChars) pieces.push(...this.takeClauses());
    return pieces;
  }

  /**
   * The wait for more text ran out: the buffer up to its last complete word, when it ends a sentence or weighs at
   * least `minChars`; otherwise nothing.
   */
  take(): TextPiece[] {
    const text = this.buffer.trim();
    if (text === '') return [];
    if (/[.!?…。！？]["'”’»)\]]*$/u.test(text)) return this.takeAll();
    const cut = /\s$/u.test(this.buffer) ? this.buffer.length : this.buffer.search(/\s\S*$/u);
    if (cut <= 0 || textWeight(this.buffer.slice(0, cut).trim()) < this.options.minChars) return [];
    const piece = this.placed(this.buffer.slice(0, cut).trim(), false);
    this.buffer = this.buffer.slice(cut).trimStart();
    return [piece];
  }

  /** Everything buffered, now (flush or end); the piece ends a sentence as far as the text says. */
  takeAll(): TextPiece[] {
    const text = this.buffer.trim();
    this.buffer = '';
    if (text === '') return [];
    return [this.placed(text, true)];
  }

  /** Complete clauses of the over-long unfinished sentence; the last, maybe unfinished, part stays buffered. */
  private takeClauses(): TextPiece[] {
    const parts = cutLongSentence(this.buffer.trim(), { maxChars: this.options.clauseChars, language: this.options.language });
    const trailing = /\s$/u.test(this.buffer) ? ' ' : '';
    this.buffer = (parts.pop() ?? '') + trailing;
    return parts.map((part) => this.placed(part, false));
  }

  private placed(text: string, endsSentence: boolean): TextPiece {
    const piece = { text, startsSentence: !this.midSentence, endsSentence };
    this.midSentence = !endsSentence;
    return piece;
  }
}
