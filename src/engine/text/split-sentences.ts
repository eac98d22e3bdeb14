/** How `splitSentences` cuts text. */
export interface SplitSentencesOptions {
  /** Longest piece wanted, in UTF-16 code units; only a single word longer than this is returned longer. */
  maxChars: number;
}

// A run of sentence-final marks, then any closing quotes or brackets, then a space or the end.
const SENTENCE_END = /[.!?…]+["'”’»)\]]*(?=\s|$)/gu;
// Clause marks that end a piece: , ; : before a space, or a dash anywhere (it is often written unspaced).
const CLAUSE_END = /[,;:](?=\s)|[—–]/gu;
// Words after which a lone period does not end a sentence ("Dr. Smith", "e.g. this").
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'vs', 'e.g', 'i.e', 'cf']);

/**
 * Splits text into sentences for synthesis: ends at . ! ? … and line breaks, then cuts any sentence longer
 * than `maxChars` at clause punctuation (, ; : — –) and finally between words, never inside a word.
 * Whitespace is collapsed, punctuation kept, and no piece is empty. Throws RangeError on a bad `maxChars`.
 */
export function splitSentences(text: string, options: SplitSentencesOptions): string[] {
  const { maxChars } = options;
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new RangeError(`maxChars must be a positive integer, got ${maxChars}`);
  const pieces: string[] = [];
  for (const line of text.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/u)) {
    const collapsed = line.replace(/\s+/gu, ' ').trim();
    if (collapsed === '') continue;
    for (const sentence of cutAfter(collapsed, sentenceEnds(collapsed))) {
      pieces.push(...(sentence.length <= maxChars ? [sentence] : splitLong(sentence, maxChars)));
    }
  }
  return pieces;
}

function sentenceEnds(line: string): number[] {
  const ends: number[] = [];
  for (const match of line.matchAll(SENTENCE_END)) {
    const end = match.index + match[0].length;
    const next = line.slice(end).trimStart();
    // A lowercase word after the mark continues the sentence ("“Really?” she asked", "approx. five").
    if (/^\p{Ll}/u.test(next)) continue;
    if (match[0] === '.' && ABBREVIATIONS.has(lastWord(line.slice(0, match.index)))) continue;
    ends.push(end);
  }
  return ends;
}

function lastWord(before: string): string {
  return (before.split(' ').pop() ?? '').replace(/^[^\p{L}]+/u, '').toLowerCase();
}

function clauseEnds(sentence: string): number[] {
  return Array.from(sentence.matchAll(CLAUSE_END), (match) => match.index + match[0].length);
}

/** Cuts `text` after each position, trimming pieces and dropping empty ones. */
function cutAfter(text: string, positions: number[]): string[] {
  return rawCuts(text, positions)
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '');
}

/** Cuts an over-long sentence at clauses, then words as a last resort, and packs the parts greedily up to `maxChars`. */
function splitLong(sentence: string, maxChars: number): string[] {
  // Parts keep their leading space so that joining them back restores the text exactly ("a—b" stays unspaced).
  const parts = rawCuts(sentence, clauseEnds(sentence)).flatMap((clause) =>
    clause.trim().length <= maxChars ? [clause] : clause.split(/(?= )/u),
  );
  const pieces: string[] = [];
  let current = '';
  for (const part of parts) {
    if (current === '' || (current + part).trim().length <= maxChars) {
      current += part;
    } else {
      pieces.push(current.trim());
      current = part;
    }
  }
  pieces.push(current.trim());
  return pieces.filter((piece) => piece !== '');
}

/** Cuts `text` after each position, keeping every character. */
function rawCuts(text: string, positions: number[]): string[] {
  let start = 0;
  return [...positions, text.length].map((end) => text.slice(start, (start = end)));
}
