import { TtsError } from '../../protocol/errors.js';
import { cutLongSentence, textWeight } from '../text/cut-long-sentence.js';
import type { TextPiece } from '../text/split-sentences.js';
import { TOKENS, type EncodedText } from './text-tokenizer.js';

/**
 * Rows of T3's learned text position table: max_text_tokens 2048 plus start and stop text, the same in the
 * English and multilingual checkpoints, their ONNX exports and our generated models. A prompt with more text
 * tokens makes embed_tokens gather past the table and fail. Turbo positions text in its language model instead;
 * the same bound keeps it far inside that table.
 */
export const TEXT_POSITION_ROWS = 2050;

/** A piece and its prompt ids, ready to generate. */
export interface EncodedPiece {
  piece: TextPiece;
  encoded: EncodedText;
}

/** How `fitToTextPositions` checks and cuts. */
export interface FitOptions {
  /** Text positions the model has; `TEXT_POSITION_ROWS` by default. */
  maxPositions?: number;
  /** BCP 47 language of the piece, for word boundaries when it must be cut. */
  language?: string;
}

/** Text positions a prompt takes: every id below the speech range (the speech-side ids all sit at position 0). */
export function textPositionsOf(encoded: EncodedText): number {
  return encoded.ids.reduce((count, id) => count + (id < TOKENS.startSpeech ? 1 : 0), 0);
}

/**
 * Encodes a piece and checks it against the text position table before anything runs: a piece that does not fit
 * is cut in halves by weight (clauses, words, characters) until each fits. Throws TtsError TEXT_UNSPEAKABLE when
 * a single character does not fit, which no retry can change.
 */
export function fitToTextPositions(piece: TextPiece, encode: (piece: TextPiece) => EncodedText, options: FitOptions = {}): EncodedPiece[] {
  const { maxPositions = TEXT_POSITION_ROWS, language } = options;
  const encoded = encode(piece);
  if (textPositionsOf(encoded) <= maxPositions) return [{ piece, encoded }];
  const halves = cutLongSentence(piece.text, { maxChars: Math.max(1, Math.floor(textWeight(piece.text) / 2)), language });
  if (halves.length < 2) {
    throw new TtsError(
      'TEXT_UNSPEAKABLE',
      `a piece of ${piece.text.length} characters needs ${textPositionsOf(encoded)} text positions; the model has ${maxPositions}`,
    );
  }
  return halves.flatMap((text, index) =>
    fitToTextPositions(
      { text, startsSentence: piece.startsSentence && index === 0, endsSentence: piece.endsSentence && index === halves.length - 1 },
      encode,
      options,
    ),
  );
}
