import { cutLongSentence, textWeight } from './cut-long-sentence.js';

/** How `splitSentences` cuts text. */
export interface SplitSentencesOptions {
  /** Longest piece wanted, by `textWeight` (characters, a Han, kana or Hangul character counting three). */
  maxChars: number;
  /** BCP 47 language of the text (the request's); picks the sentence and word rules. Default: the runtime's. */
  language?: string | undefined;
  /** How heavy a text is, for `maxChars`; `textWeight` by default. An engine may count what it reads slowly. */
  weigh?: ((text: string) => number) | undefined;
}

/** One piece of text to synthesize, and where it sits in its sentence. */
export interface TextPiece {
  text: string;
  /** The piece begins a sentence (false after a cut inside an over-long one). */
  startsSentence: boolean;
  /** The piece ends a sentence (false before a cut inside an over-long one). */
  endsSentence: boolean;
}

// A run of sentence-final marks, then any closing quotes or brackets, then a space or the end. Unicode's sentence
// rules do not end a sentence at … (U+2026), which English uses as one.
const SENTENCE_END = /[.!?…]+["'”’»)\]]*(?=\s|$)/gu;
// Words after which a lone period does not end a sentence ("Dr. Smith", "e.g. this").
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'vs', 'e.g', 'i.e', 'cf']);
const OPENING_MARKS = /[\p{Ps}\p{Pi}]+$/u;

const segmenters = new Map<string, Intl.Segmenter>();

/** The sentence segmenter of a language; an unknown or malformed tag falls back to the runtime's default rules. */
function sentenceSegmenter(language: string | undefined): Intl.Segmenter {
  const key = language ?? '';
  let segmenter = segmenters.get(key);
  if (segmenter === undefined) {
    try {
      segmenter = new Intl.Segmenter(language, { granularity: 'sentence' });
    } catch {
      segmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });
    }
    segmenters.set(key, segmenter);
  }
  return segmenter;
}

/**
 * Splits text into sentences for synthesis, by Unicode's sentence rules for `language` (so 。！？ । ؟ end
 * sentences with or without a space) plus … and line breaks; a period after an abbreviation or before a lowercase
 * word does not end one. A sentence weighing more than `maxChars` is cut at clauses, then words, then characters
 * (see `cutLongSentence`). Whitespace is collapsed, punctuation kept, and no piece is empty. Throws RangeError on a
 * bad `maxChars`.
 */
export function splitSentences(text: string, options: SplitSentencesOptions): TextPiece[] {
  const { maxChars, language, weigh = textWeight } = options;
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new RangeError(`maxChars must be a positive integer, got ${maxChars}`);
  const pieces: TextPiece[] = [];
  for (const line of text.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/u)) {
    const collapsed = line.replace(/\s+/gu, ' ').trim();
    if (collapsed === '') continue;
    for (const sentence of cutAfter(collapsed, sentenceEnds(collapsed, language))) {
      const parts = weigh(sentence) <= maxChars ? [sentence] : cutLongSentence(sentence, { maxChars, language, weigh });
      parts.forEach((part, index) => pieces.push({ text: part, startsSentence: index === 0, endsSentence: index === parts.length - 1 }));
    }
  }
  return pieces;
}

/** Cut positions: Unicode's sentence boundaries and our own marks, less those our rules say continue the sentence. */
function sentenceEnds(line: string, language: string | undefined): number[] {
  const candidates = new Set<number>();
  for (const { index, segment } of sentenceSegmenter(language).segment(line)) {
    const end = index + segment.trimEnd().length;
    // An opening quote or bracket at the end of a segment (。「) belongs to the next sentence.
    const opening = OPENING_MARKS.exec(segment.trimEnd())?.[0].length ?? 0;
    if (end - opening > 0 && end < line.length) candidates.add(end - opening);
  }
  for (const match of line.matchAll(SENTENCE_END)) candidates.add(match.index + match[0].length);
  return [...candidates].sort((a, b) => a - b).filter((position) => !continuesSentence(line, position));
}

/** Characters either side of a cut that the rules look at; slicing whole lines made long texts quadratic. */
const CONTEXT_CHARS = 64;

function continuesSentence(line: string, position: number): boolean {
  const before = line.slice(Math.max(0, position - CONTEXT_CHARS), position).trimEnd();
  const after = line.slice(position, position + CONTEXT_CHARS);
  const next = after.trimStart();
  if (next === '') return false;
  // A lowercase word after the mark continues the sentence ("“Really?” she asked", "approx. five").
  if (/^\p{Ll}/u.test(next)) return true;
  // A closing quote run straight into a word continues it too (「元気？」と聞いた).
  if (after === next && /[\p{Pe}\p{Pf}]$/u.test(before) && /^\p{L}/u.test(next)) return true;
  return /[^.]\.$/u.test(before) && ABBREVIATIONS.has(lastWord(before.slice(0, -1)));
}

function lastWord(before: string): string {
  return (before.split(' ').pop() ?? '').replace(/^[^\p{L}]+/u, '').toLowerCase();
}

/** Cuts `text` after each position, trimming pieces and dropping empty ones. */
function cutAfter(text: string, positions: number[]): string[] {
  let start = 0;
  return [...positions, text.length].map((end) => text.slice(start, (start = end)).trim()).filter((piece) => piece !== '');
}
