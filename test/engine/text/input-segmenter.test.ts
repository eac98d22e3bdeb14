import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_INPUT_SEGMENTER, InputSegmenter } from '../../../src/engine/text/input-segmenter.js';
import type { TextPiece } from '../../../src/engine/text/split-sentences.js';

const segmenter = (options: Partial<typeof DEFAULT_INPUT_SEGMENTER> = {}) => new InputSegmenter({ ...DEFAULT_INPUT_SEGMENTER, language: 'en', ...options });

/** Feeds `parts` in turn; returns the texts made ready after each part. */
function feed(parts: string[], options: Partial<typeof DEFAULT_INPUT_SEGMENTER> = {}): string[][] {
  const s = segmenter(options);
  return parts.map((part) => s.append(part).map((piece) => piece.text));
}

describe('InputSegmenter: cuts at sentence ends once the next text shows them', () => {
  const cases: Array<{ name: string; parts: string[]; ready: string[][] }> = [
    { name: 'a sentence end, once a word follows', parts: ['Hello there.', ' How', ' are you?'], ready: [[], ['Hello there.'], []] },
    { name: 'a sentence end split from its word', parts: ['Hello', ' there', '.', ' Next'], ready: [[], [], [], ['Hello there.']] },
    { name: '! and ? too', parts: ['Yes! No? Maybe', '.'], ready: [['Yes!', 'No?'], []] },
    { name: 'not after Dr.', parts: ['I saw Dr.', ' Smith', ' today. And'], ready: [[], [], ['I saw Dr. Smith today.']] },
    { name: 'not inside 3.14', parts: ['It is 3.', '14 now. So'], ready: [[], ['It is 3.14 now.']] },
    { name: 'not after e.g.', parts: ['Fruit, e.g.', ' apples, is good. It'], ready: [[], ['Fruit, e.g. apples, is good.']] },
    { name: 'a line break ends what is before it', parts: ['A line with no mark\n', 'Next'], ready: [['A line with no mark'], []] },
    { name: 'several sentences in one part', parts: ['One. Two. Three'], ready: [['One.', 'Two.']] },
  ];
  for (const { name, parts, ready } of cases) {
    it(name, () => assert.deepEqual(feed(parts), ready));
  }
});

describe('InputSegmenter: a long unfinished sentence gives up its complete clauses', () => {
  it('cuts at the clause marks of a sentence past clauseChars, and keeps its place in the sentence', () => {
    const s = segmenter({ clauseChars: 40 });
    const pieces: TextPiece[] = [];
    for (const word of 'This sentence goes on, and on and on, with more clauses, until it is long enough to cut'.split(/(?= )/u)) {
      pieces.push(...s.append(word));
    }
    assert.ok(pieces.length >= 1);
    assert.deepEqual(pieces[0], { text: 'This sentence goes on, and on and on,', startsSentence: true, endsSentence: false });
    for (const piece of pieces.slice(1)) assert.equal(piece.startsSentence, false);
    const rest = s.takeAll();
    assert.equal(rest.length, 1);
    assert.equal(rest[0]!.startsSentence, false);
    assert.equal(rest[0]!.endsSentence, true);
    assert.equal([...pieces, ...rest].map((p) => p.text).join(' '), 'This sentence goes on, and on and on, with more clauses, until it is long enough to cut');
  });
});

describe('InputSegmenter: when the wait runs out (take) and on flush or end (takeAll)', () => {
  it('take speaks a finished sentence at the end of the buffer', () => {
    const s = segmenter();
    s.append('Okay.');
    assert.deepEqual(s.take(), [{ text: 'Okay.', startsSentence: true, endsSentence: true }]);
    assert.equal(s.pending, false);
  });

  it('take leaves a short unfinished sentence waiting', () => {
    const s = segmenter({ minChars: 24 });
    s.append('Well, let me');
    assert.deepEqual(s.take(), []);
    assert.equal(s.pending, true);
  });

  it('take speaks a long enough unfinished sentence up to its last whole word', () => {
    const s = segmenter({ minChars: 10 });
    s.append('We could walk to the riv');
    assert.deepEqual(s.take(), [{ text: 'We could walk to the', startsSentence: true, endsSentence: false }]);
    s.append('er bank.');
    assert.deepEqual(s.takeAll(), [{ text: 'river bank.', startsSentence: false, endsSentence: true }]);
  });

  it('takeAll speaks everything, and nothing when nothing waits', () => {
    const s = segmenter();
    s.append('half a');
    assert.deepEqual(s.takeAll(), [{ text: 'half a', startsSentence: true, endsSentence: true }]);
    assert.deepEqual(s.takeAll(), []);
    assert.deepEqual(s.take(), []);
  });

  it('no text is lost or repeated over many small appends', () => {
    const text = 'First one. Second, with a clause, and more words than before. Third ends here. A tail without end';
    const s = segmenter({ clauseChars: 30, minChars: 5 });
    const spoken: string[] = [];
    for (const [index, char] of [...text].entries()) {
      spoken.push(...s.append(char).map((p) => p.text));
      if (index % 17 === 0) spoken.push(...s.take().map((p) => p.text));
    }
    spoken.push(...s.takeAll().map((p) => p.text));
    assert.equal(spoken.join(' '), text);
  });
});
