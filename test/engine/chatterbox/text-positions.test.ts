import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { normalizeText } from '../../../src/engine/chatterbox/normalize-text.js';
import { fitToTextPositions, TEXT_POSITION_ROWS, textPositionsOf } from '../../../src/engine/chatterbox/text-positions.js';
import { loadTextTokenizer, type TextTokenizer } from '../../../src/engine/chatterbox/text-tokenizer.js';
import type { TextPiece } from '../../../src/engine/text/split-sentences.js';
import { modelDims } from '../../../src/model-gen/sizes.js';
import { TtsError } from '../../../src/protocol/errors.js';
import { ensureTinyModel } from '../../helpers/tiny-model.js';

describe('fitToTextPositions on the tiny model tokenizer', () => {
  let tokenizer: TextTokenizer;
  const encode = (piece: TextPiece) => tokenizer.encode(normalizeText(piece.text, piece));
  before(async () => {
    tokenizer = loadTextTokenizer(join(await ensureTinyModel(), 'tokenizer.json'));
  });

  it('the table size is the generated models’ text position rows (the real T3: max_text_tokens 2048 + 2)', () => {
    assert.equal(TEXT_POSITION_ROWS, modelDims('tiny', 'english').textPositions);
    assert.equal(TEXT_POSITION_ROWS, modelDims('full', 'english').textPositions);
  });

  it('a piece that fits is encoded once, unchanged', () => {
    const piece = { text: 'Hello world.', startsSentence: true, endsSentence: true };
    const fitted = fitToTextPositions(piece, encode);
    assert.deepEqual(fitted, [{ piece, encoded: encode(piece) }]);
  });

  it('regression: a×5000 (an ONNX index error in embed_tokens) is cut until every piece fits the table', () => {
    const text = 'a'.repeat(5000);
    const fitted = fitToTextPositions({ text, startsSentence: true, endsSentence: true }, encode);
    assert.ok(textPositionsOf(encode({ text, startsSentence: true, endsSentence: true })) > TEXT_POSITION_ROWS, 'the text alone overflows');
    assert.ok(fitted.length >= 3);
    for (const { encoded } of fitted) assert.ok(textPositionsOf(encoded) <= TEXT_POSITION_ROWS);
    assert.equal(fitted.map(({ piece }) => piece.text).join(''), text);
    assert.deepEqual(
      fitted.map(({ piece }) => [piece.startsSentence, piece.endsSentence]),
      fitted.map((_, i) => [i === 0, i === fitted.length - 1]),
      'only the first piece starts the sentence and only the last ends it',
    );
  });

  it('a smaller table cuts at words first, and keeps each piece within it', () => {
    const text = 'one two three four five six seven eight nine ten eleven twelve';
    const fitted = fitToTextPositions({ text, startsSentence: true, endsSentence: true }, encode, { maxPositions: 30 });
    const words = new Set(text.split(' '));
    assert.ok(fitted.length >= 2);
    for (const { piece, encoded } of fitted) {
      assert.ok(textPositionsOf(encoded) <= 30);
      for (const word of piece.text.split(' ')) assert.ok(words.has(word), `'${word}' is not a whole word`);
    }
    assert.equal(fitted.map(({ piece }) => piece.text).join(' '), text);
  });

  it('a character that alone does not fit is TEXT_UNSPEAKABLE, not retryable, naming no graph node', () => {
    assert.throws(
      () => fitToTextPositions({ text: 'ab', startsSentence: true, endsSentence: true }, encode, { maxPositions: 2 }),
      (err: unknown) => {
        assert.ok(err instanceof TtsError);
        assert.equal(err.code, 'TEXT_UNSPEAKABLE');
        assert.equal(err.retryable, false);
        assert.doesNotMatch(err.message, /gather|embed|onnx|node/i);
        return true;
      },
    );
  });
});
