import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeText } from '../../../src/engine/chatterbox/normalize-text.js';
import { splitSentences } from '../../../src/engine/text/split-sentences.js';

const whole = { startsSentence: true, endsSentence: true };
const first = { startsSentence: true, endsSentence: false };
const middle = { startsSentence: false, endsSentence: false };
const last = { startsSentence: false, endsSentence: true };

describe('normalizeText', () => {
  const cases: Array<[string, string, typeof whole, string]> = [
    ['a whole sentence is capitalised and ends with a period', 'hello world', whole, 'Hello world.'],
    // The reference maps … and ; to ', ' without collapsing the spaces that follow; so do we.
    ['rare punctuation is mapped', 'wait… what — this; that: “ok”', whole, 'Wait,  what - this,  that, "ok".'],
    ['a kept ending is not doubled', 'Really?', whole, 'Really?'],
    ['full-width endings count as endings', '你好。', whole, '你好。'],
    ['control tokens are defused', 'say [STOP] now', whole, 'Say STOP now.'],
    ['a first piece keeps its cut as written', 'the village gathered all its families,', first, 'The village gathered all its families,'],
    ['a first piece cut between words gets no period', 'the village gathered', first, 'The village gathered'],
    ['a middle piece: no capital, no period', 'and a small brass band', middle, 'and a small brass band'],
    ['a middle piece ending in a clause mark maps it as the sentence would', 'and a band;', middle, 'and a band,'],
    ['a last piece: no capital, its period', 'and a small brass band played', last, 'and a small brass band played.'],
  ];
  for (const [name, input, place, want] of cases) {
    it(name, () => assert.equal(normalizeText(input, place), want));
  }

  it('a whole sentence is the default', () => assert.equal(normalizeText('hello'), normalizeText('hello', whole)));

  it('regression: a sentence cut at a clause reads as one sentence, not two ("…families," + "And …")', () => {
    const sentence =
      'On the first warm evening of the summer the whole village gathered in the square with all of its families, ' +
      'and a small brass band played old songs until the lamps were lit and the children had fallen asleep on the benches.';
    const pieces = splitSentences(sentence, { maxChars: 120 });
    assert.equal(pieces.length, 2);
    const [a, b] = pieces.map((piece) => normalizeText(piece.text, piece));
    assert.ok(a!.endsWith('families,'), a);
    assert.ok(b!.startsWith('and a small brass band'), b);
    assert.ok(b!.endsWith('benches.'), b);
    assert.equal(`${a} ${b}`, normalizeText(sentence), 'the pieces together are the sentence normalised whole');
  });
});
