// What flite makes of text: it reads ASCII only, says a digit or a symbol as a word, and spells out a run of
// letters without a vowel letter by letter. Its run time follows the audio it makes, so pieces are bounded by
// how long they take to say, not by their length.

/** Characters flite says as a whole word ("nine", "percent", "at"). */
const WORD_CHARACTER = /[0-9#$%&*+/<=>@\\^_`|~]/gu;
/** Letter runs with no vowel letter, which flite spells out ("xkcd" → "x k c d"). */
const SPELLED_RUN = /\b[b-df-hj-np-tv-xz]{2,}\b/giu;
/** A word's worth of speech per word character, a spelled letter's worth per spelled-out letter, in plain letters. */
const WORD_CHARACTER_WEIGHT = 5;
const SPELLED_LETTER_WEIGHT = 4;

/**
 * How long flite takes to say a text, in letters of plain English words: digits and symbols said as words count
 * five, letters of a spelled-out run four. Bounding pieces by this bounds one synchronous flite run.
 */
export function fliteWeight(text: string): number {
  const wordCharacters = text.match(WORD_CHARACTER)?.length ?? 0;
  const spelledLetters = (text.match(SPELLED_RUN) ?? []).reduce((sum, run) => sum + run.length, 0);
  return text.length + (WORD_CHARACTER_WEIGHT - 1) * wordCharacters + (SPELLED_LETTER_WEIGHT - 1) * spelledLetters;
}

/** True when flite would say something for the text; otherwise it makes only its 0.2 s of silence. */
export function isSpeakableByFlite(text: string): boolean {
  return /[A-Za-z0-9#$%&*+/<=>@\\^_`|~]/u.test(text);
}
