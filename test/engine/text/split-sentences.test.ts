import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitSentences } from '../../../src/engine/text/split-sentences.js';

const cases: Array<{ name: string; text: string; maxChars?: number; want: string[] }> = [
  { name: 'two sentences', text: 'Hello world. This is a test.', want: ['Hello world.', 'This is a test.'] },
  { name: 'all sentence marks', text: 'Stop! Why? Because… Fine.', want: ['Stop!', 'Why?', 'Because…', 'Fine.'] },
  { name: 'repeated marks stay together', text: 'Really?! Yes... Ok.', want: ['Really?!', 'Yes...', 'Ok.'] },
  { name: 'closing quote stays with its sentence', text: 'He said "go." Then left.', want: ['He said "go."', 'Then left.'] },
  { name: 'closing bracket stays with its sentence', text: '(This is an aside.) Next one.', want: ['(This is an aside.)', 'Next one.'] },
  { name: 'newlines end sentences', text: 'Title\nFirst line\r\n\r\nSecond line', want: ['Title', 'First line', 'Second line'] },
  { name: 'whitespace collapsed', text: '  lots\t of   space .  \n\n ', want: ['lots of space .'] },
  { name: 'decimals and times are not ends', text: 'Pi is 3.14 at 3:45. Done.', want: ['Pi is 3.14 at 3:45.', 'Done.'] },
  { name: 'title abbreviations are not ends', text: 'Dr. Smith met Mrs. Jones. They talked.', want: ['Dr. Smith met Mrs. Jones.', 'They talked.'] },
  { name: 'a lowercase word continues the sentence', text: '“Really?” she asked. Yes, e.g. this.', want: ['“Really?” she asked.', 'Yes, e.g. this.'] },
  { name: 'no terminal punctuation', text: 'just some words', want: ['just some words'] },
  { name: 'empty text', text: '', want: [] },
  { name: 'only whitespace', text: ' \n\t\r\n ', want: [] },
  { name: 'punctuation only is kept', text: '...', want: ['...'] },
  { name: 'non-latin text', text: '日本語です。 Café naïve! 😀 ok.', want: ['日本語です。 Café naïve!', '😀 ok.'] },
  {
    name: 'long sentence cut at clauses, packed greedily',
    text: 'one two three, four five six; seven eight: nine ten.',
    maxChars: 20,
    want: ['one two three,', 'four five six;', 'seven eight:', 'nine ten.'],
  },
  {
    name: 'short clauses are packed together',
    text: 'a, b, c, d, e, f, g, h.',
    maxChars: 10,
    want: ['a, b, c,', 'd, e, f,', 'g, h.'],
  },
  {
    name: 'dash cut keeps unspaced dashes unspaced',
    text: 'alpha beta—gamma delta—eps zeta.',
    maxChars: 12,
    want: ['alpha beta—', 'gamma delta—', 'eps zeta.'],
  },
  { name: 'a spaced dash stays with the clause before it', text: 'alpha beta — gamma delta.', maxChars: 14, want: ['alpha beta —', 'gamma delta.'] },
  {
    name: 'clause too long is cut between words',
    text: 'aaa bbb ccc ddd eee fff, ggg.',
    maxChars: 8,
    want: ['aaa bbb', 'ccc ddd', 'eee fff,', 'ggg.'],
  },
  { name: 'a word longer than maxChars is never cut', text: 'supercalifragilistic is long.', maxChars: 5, want: ['supercalifragilistic', 'is', 'long.'] },
  { name: 'a comma inside a number is not a clause end', text: 'It cost 1,000,000 dollars.', maxChars: 12, want: ['It cost', '1,000,000', 'dollars.'] },
  { name: 'short sentences are not merged', text: 'A. B. C.', maxChars: 100, want: ['A.', 'B.', 'C.'] },
];

describe('splitSentences', () => {
  for (const { name, text, maxChars = 200, want } of cases) {
    it(name, () => {
      assert.deepEqual(splitSentences(text, { maxChars }), want);
    });
  }

  it('keeps every piece within maxChars unless it is one word, and loses no word', () => {
    const words = Array.from({ length: 400 }, (_, i) => 'w'.repeat((i * 7) % 13 + 1) + (i % 9 === 0 ? ',' : i % 17 === 0 ? '.' : ''));
    const text = words.join(' ');
    for (const maxChars of [1, 5, 20, 80]) {
      const pieces = splitSentences(text, { maxChars });
      for (const piece of pieces) {
        assert.ok(piece.length > 0 && piece === piece.trim());
        assert.ok(piece.length <= maxChars || !piece.includes(' '), `piece over ${maxChars}: ${piece}`);
      }
      assert.equal(pieces.join(' '), text);
    }
  });

  it('rejects a maxChars that is not a positive integer', () => {
    for (const maxChars of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => splitSentences('a', { maxChars }), RangeError);
    }
  });
});
