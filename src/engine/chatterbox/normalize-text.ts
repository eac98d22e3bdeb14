/**
 * The punctuation clean-up the reference implementation applies before tokenizing: the model was trained
 * on text like this, so rare or LLM-style punctuation is mapped to what it knows.
 */
const REPLACEMENTS: ReadonlyArray<readonly [string, string]> = [
  ['...', ', '],
  ['…', ', '],
  [':', ','],
  [' - ', ', '],
  [';', ', '],
  ['—', '-'],
  ['–', '-'],
  [' ,', ','],
  ['“', '"'],
  ['”', '"'],
  ['‘', "'"],
  ['’', "'"],
];

// The multilingual reference also accepts the full-width marks as an ending.
const SENTENCE_ENDERS = ['.', '!', '?', '-', ',', '、', '，', '。', '？', '！'];

/** Tokens of the tokenizer that steer the model; user text must never produce them. */
const CONTROL_TOKEN = /\[(START|STOP|SPACE|UNK|PAD|SEP|CLS|MASK)\]/gi;

/** Where a piece sits in its sentence; a whole sentence by default. */
export interface PiecePlace {
  /** Capitalise the first letter only when the piece begins its sentence. */
  startsSentence: boolean;
  /** Add the final period only when the piece ends its sentence. */
  endsSentence: boolean;
}

const WHOLE_SENTENCE: PiecePlace = { startsSentence: true, endsSentence: true };

/**
 * Normalises punctuation as the reference does (capitalise, collapse spaces, map rare punctuation, end
 * with a period) and defuses literal control tokens such as `[STOP]`, which would otherwise end the text
 * segment early: the brackets are dropped, so the word is still read. A piece cut from inside a sentence is
 * normalised as part of it: no capital after the cut, no period before it, its last mark left as written.
 */
export function normalizeText(input: string, place: PiecePlace = WHOLE_SENTENCE): string {
  let text = input.replace(CONTROL_TOKEN, (_, word: string) => word);
  text = text.split(/\s+/).filter(Boolean).join(' ');
  if (text.length === 0) return text;
  const first = text[0]!;
  if (place.startsSentence && first !== first.toUpperCase()) text = first.toUpperCase() + text.slice(1);
  for (const [from, to] of REPLACEMENTS) text = text.split(from).join(to);
  text = text.trimEnd();
  if (place.endsSentence && !SENTENCE_ENDERS.some((end) => text.endsWith(end))) text += '.';
  return text;
}
