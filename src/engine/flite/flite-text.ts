// What flite makes of text: it reads ASCII only, says a digit or a symbol as a word, and spells out a run of
// letters without a vowel letter by letter. Its run time follows the audio it makes (about 0.06 s of speech per
// letter of plain English, 0.3 s per digit, 0.6 s per symbol, 0.23 s per spelled letter), so pieces are bounded by
// how long they take to say, not by their length.

const DIGIT = /[0-9]/gu;
/** Symbols flite says as a word ("dollar", "ampersand", "asterisk"). */
const SYMBOL = /[#$%&*+/<=>@\\^_`|~]/gu;
/** Letter runs with no vowel letter, which flite spells out ("xkcd" → "x k c d"). */
const SPELLED_RUN = /\b[b-df-hj-np-tv-xz]{2,}\b/giu;
const DIGIT_WEIGHT = 5;
const SYMBOL_WEIGHT = 10;
const SPELLED_LETTER_WEIGHT = 4;

/**
 * How long flite takes to say a text, in letters of plain English words: a digit counts five, a symbol said as a
 * word ten, a letter of a spelled-out run four. Bounding pieces by this bounds one synchronous flite run.
 */
export function fliteWeight(text: string): number {
  const count = (pattern: RegExp) => text.match(pattern)?.length ?? 0;
  const spelledLetters = (text.match(SPELLED_RUN) ?? []).reduce((sum, run) => sum + run.length, 0);
  return text.length + (DIGIT_WEIGHT - 1) * count(DIGIT) + (SYMBOL_WEIGHT - 1) * count(SYMBOL) + (SPELLED_LETTER_WEIGHT - 1) * spelledLetters;
}

/** True when flite would say something for the text; otherwise it makes only its 0.2 s of silence. */
export function isSpeakableByFlite(text: string): boolean {
  return /[A-Za-z0-9#$%&*+/<=>@\\^_`|~]/u.test(text);
}
