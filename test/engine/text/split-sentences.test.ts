import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textWeight } from '../../../src/engine/text/cut-long-sentence.js';
import { splitSentences, type TextPiece } from '../../../src/engine/text/split-sentences.js';

const texts = (pieces: TextPiece[]) => pieces.map((piece) => piece.text);

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
  { name: 'non-latin text', text: '日本語です。 Café naïve! 😀 ok.', want: ['日本語です。', 'Café naïve!', '😀 ok.'] },
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
  {
    name: 'a word longer than maxChars is cut between characters',
    text: 'supercalifragilistic is long.',
    maxChars: 5,
    want: ['super', 'calif', 'ragil', 'istic', 'is', 'long.'],
  },
  { name: 'a comma inside a number is not a clause end', text: 'It cost 1,000,000 dollars.', maxChars: 12, want: ['It cost', '1,000,000', 'dollars.'] },
  { name: 'short sentences are not merged', text: 'A. B. C.', maxChars: 100, want: ['A.', 'B.', 'C.'] },
];

describe('splitSentences', () => {
  for (const { name, text, maxChars = 200, want } of cases) {
    it(name, () => {
      assert.deepEqual(texts(splitSentences(text, { maxChars })), want);
    });
  }

  it('keeps every piece within maxChars, and loses no character', () => {
    const words = Array.from({ length: 400 }, (_, i) => 'w'.repeat(((i * 7) % 13) + 1) + (i % 9 === 0 ? ',' : i % 17 === 0 ? '.' : ''));
    const text = words.join(' ');
    for (const maxChars of [1, 5, 20, 80]) {
      const pieces = texts(splitSentences(text, { maxChars }));
      for (const piece of pieces) {
        assert.ok(piece.length > 0 && piece === piece.trim());
        assert.ok(piece.length <= maxChars, `piece over ${maxChars}: ${piece}`);
      }
      assert.equal(pieces.join('').replaceAll(' ', ''), text.replaceAll(' ', ''));
    }
  });

  it('rejects a maxChars that is not a positive integer', () => {
    for (const maxChars of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => splitSentences('a', { maxChars }), RangeError);
    }
  });

  it('marks where each piece sits in its sentence: only a cut inside a sentence is not a sentence edge', () => {
    const text = 'A short one. Then the village gathered all its families, and a small brass band played on the green. End.';
    assert.deepEqual(splitSentences(text, { maxChars: 60 }), [
      { text: 'A short one.', startsSentence: true, endsSentence: true },
      { text: 'Then the village gathered all its families,', startsSentence: true, endsSentence: false },
      { text: 'and a small brass band played on the green.', startsSentence: false, endsSentence: true },
      { text: 'End.', startsSentence: true, endsSentence: true },
    ]);
  });
});

// One case per script the multilingual model reads without a space after its sentence marks, or without spaces at all.
const scripts: Array<{ language: string; sentences: string[] }> = [
  { language: 'zh', sentences: ['今天天气很好。', '我们去公园散步吧！', '你觉得怎么样？'] },
  { language: 'ja', sentences: ['こんにちは。', '「元気？」と聞いた。', '今日は晴れです！'] },
  { language: 'ko', sentences: ['안녕하세요.', '오늘 날씨가 좋네요!', '산책 갈까요?'] },
  { language: 'hi', sentences: ['नमस्ते।', 'आप कैसे हैं?', 'मैं ठीक हूँ।'] },
  { language: 'ar', sentences: ['مرحبا.', 'كيف حالك؟', 'أنا بخير.'] },
  { language: 'th', sentences: ['สวัสดีครับ'] },
];

describe('splitSentences in every script', () => {
  for (const { language, sentences } of scripts) {
    it(`${language}: cuts at its sentence marks`, () => {
      const spaced = sentences.join(language === 'zh' || language === 'ja' ? '' : ' ');
      assert.deepEqual(texts(splitSentences(spaced, { maxChars: 300, language })), sentences);
    });
  }

  const long: Array<{ language: string; text: string }> = [
    { language: 'zh', text: '我们今天早上在公园里看到了很多小朋友在玩游戏'.repeat(20) },
    { language: 'ja', text: 'わたしはきょうともだちとこうえんでさんぽをしました'.repeat(20) },
    { language: 'th', text: 'วันนี้อากาศดีมากเราจึงไปเดินเล่นที่สวนสาธารณะ'.repeat(20) },
    { language: 'hi', text: Array(60).fill('आज मौसम बहुत अच्छा है').join(' ') },
    { language: 'ar', text: Array(60).fill('الطقس جميل جدا اليوم').join(' ') },
  ];
  for (const { language, text } of long) {
    it(`${language}: an over-long sentence without marks is cut between words, within maxChars`, () => {
      const pieces = texts(splitSentences(text, { maxChars: 120, language }));
      assert.ok(pieces.length >= 3, `${pieces.length} pieces`);
      for (const piece of pieces) assert.ok(textWeight(piece) <= 120, `${piece.length} characters: ${piece}`);
      assert.equal(pieces.join('').replaceAll(' ', ''), text.replaceAll(' ', ''));
    });
  }

  it('zh: 380 characters in sentences become pieces of at most maxChars', () => {
    const text = '今天早上我们一起去公园散步，看到很多人在锻炼身体。'.repeat(16).slice(0, 380);
    const pieces = texts(splitSentences(text, { maxChars: 300, language: 'zh' }));
    assert.ok(pieces.length >= 15);
    for (const piece of pieces) assert.ok(textWeight(piece) <= 300);
  });

  it('Chinese counts three per character, so 300 weighs about as long to say as 300 English letters', () => {
    assert.equal(textWeight('你好，world'), 3 + 3 + 1 + 5);
    const text = '我们'.repeat(100);
    assert.ok(splitSentences(text, { maxChars: 300, language: 'zh' }).length >= 2);
  });

  it('an unknown language tag falls back to the default rules', () => {
    assert.deepEqual(texts(splitSentences('One. Two.', { maxChars: 300, language: 'not a tag!' })), ['One.', 'Two.']);
  });
});

describe('splitSentences on pathological text', () => {
  for (const [name, text] of [
    ['one digit run', '9'.repeat(4000)],
    ['one letter run', 'a'.repeat(5000)],
    ['one period run', '.'.repeat(5000)],
    ['one emoji run', '😀'.repeat(5000)],
    ['combining marks', 'e\u0301'.repeat(2000)],
  ] as const) {
    it(`${name}: cut into pieces of at most maxChars, grapheme clusters whole`, () => {
      const pieces = texts(splitSentences(text, { maxChars: 100 }));
      assert.ok(pieces.length >= text.length / 100);
      for (const piece of pieces) {
        assert.ok(piece.length <= 100, `${piece.length}`);
        assert.ok(!/^\p{M}/u.test(piece) && !/^[\udc00-\udfff]/u.test(piece), 'no piece starts inside a character');
      }
      assert.equal(pieces.join(''), text);
    });
  }
});
