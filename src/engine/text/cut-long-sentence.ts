/** How `cutLongSentence` cuts. */
export interface CutOptions {
  /** Heaviest piece wanted, by `textWeight`. */
  maxChars: number;
  /** BCP 47 language, for word boundaries in scripts written without spaces. */
  language?: string | undefined;
  /** How heavy a text is; `textWeight` by default. */
  weigh?: ((text: string) => number) | undefined;
}

// Clause marks that end a piece: , ; : ، ؛ before a space, the full-width ones and dashes anywhere (they are
// written unspaced).
const CLAUSE_END = /[,;:،؛](?=\s)|[，、；：—–]/gu;
// Scripts read one syllable per character, so a character of theirs takes about as long to say as three letters.
const SYLLABIC = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;
const SYLLABIC_WEIGHT = 3;

/**
 * How long a text is to speak, in characters (UTF-16 code units), a Han, kana or Hangul character counting three:
 * 300 of it is about 20 s of speech in English or Chinese alike.
 */
export function textWeight(text: string): number {
  return text.length + (SYLLABIC_WEIGHT - 1) * (text.match(SYLLABIC)?.length ?? 0);
}

const wordSegmenters = new Map<string, Intl.Segmenter>();
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function wordSegmenter(language: string | undefined): Intl.Segmenter {
  const key = language ?? '';
  let segmenter = wordSegmenters.get(key);
  if (segmenter === undefined) {
    try {
      segmenter = new Intl.Segmenter(language, { granularity: 'word' });
    } catch {
      segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });
    }
    wordSegmenters.set(key, segmenter);
  }
  return segmenter;
}

/**
 * Cuts an over-long sentence into pieces of at most `maxChars` weight: at clause marks, then before words
 * (Unicode word boundaries, so Chinese, Japanese and Thai are cut between words too), and a single word heavier
 * than that between characters (grapheme clusters, never inside one). Parts are packed greedily, so short
 * clauses stay together. Only a single grapheme heavier than `maxChars` makes a heavier piece.
 */
export function cutLongSentence(sentence: string, options: CutOptions): string[] {
  const { maxChars, language, weigh = textWeight } = options;
  const fits = (text: string) => weigh(text.trim()) <= maxChars;
  // Parts keep their spaces so that joining them back restores the text exactly ("a—b" stays unspaced).
  const parts = cutBefore(
    sentence,
    Array.from(sentence.matchAll(CLAUSE_END), (m) => m.index + m[0].length),
  ).flatMap((clause) =>
    fits(clause) ? [clause] : cutBefore(clause, wordStarts(clause, language)).flatMap((word) => (fits(word) ? [word] : graphemesOf(word))),
  );
  const pieces: string[] = [];
  let current = '';
  for (const part of parts) {
    if (current.trim() === '' || fits(current + part)) {
      current += part;
    } else {
      pieces.push(current.trim());
      current = part;
    }
  }
  pieces.push(current.trim());
  return pieces.filter((piece) => piece !== '');
}

/** Where words start, after the first: a cut there leaves punctuation with the word before it. */
function wordStarts(text: string, language: string | undefined): number[] {
  const starts: number[] = [];
  for (const { index, isWordLike } of wordSegmenter(language).segment(text)) if (isWordLike && index > 0) starts.push(index);
  return starts;
}

function graphemesOf(text: string): string[] {
  return Array.from(graphemes.segment(text), ({ segment }) => segment);
}

/** Cuts `text` at each position, keeping every character. */
function cutBefore(text: string, positions: number[]): string[] {
  let start = 0;
  return [...positions, text.length].map((end) => text.slice(start, (start = end))).filter((part) => part !== '');
}
