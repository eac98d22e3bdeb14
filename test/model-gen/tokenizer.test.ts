import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { Tokenizer } from '@huggingface/tokenizers';

import { TURBO_TAGS } from '../../src/model-gen/tokenizer-turbo.js';
import { ensureTinyModel } from '../helpers/tiny-model.js';
import type { TinyModelOptions } from '../helpers/tiny-model.js';

type TokenizerJson = { model: { vocab: Record<string, number> } };

async function load(options: TinyModelOptions): Promise<{ tokenizer: Tokenizer; json: TokenizerJson }> {
  const json = JSON.parse(await readFile(join(await ensureTinyModel(options), 'tokenizer.json'), 'utf8'));
  return { tokenizer: new Tokenizer(json, {}), json };
}

describe('English tokenizer.json', () => {
  test('the template frames text as [6563, 255, …, 0, 6561, 6561]', async () => {
    const { tokenizer } = await load({});
    const encoded = tokenizer.encode('Hello world.');
    assert.deepEqual(encoded.ids, [6563, 255, 306, 2, 89, 129, 231, 16, 0, 6561, 6561]);
    const text = ['Hello', '[SPACE]', 'w', 'or', 'ld', '.'];
    const frame = { before: ['<EXAGGERATION>', '[START]'], after: ['[STOP]', '<START_SPEECH>', '<START_SPEECH>'] };
    assert.deepEqual(encoded.tokens, [...frame.before, ...text, ...frame.after]);
  });

  test('the plain variant returns bare text ids', async () => {
    const { tokenizer } = await load({ plainTokenizer: true });
    assert.deepEqual(tokenizer.encode('Hello world.').ids, [306, 2, 89, 129, 231, 16]);
  });

  const cases: Array<[text: string, ids: number[]]> = [
    ['a  b', [67, 2, 2, 68]],
    ['Hi!', [272, 3]],
    ['the end', [276, 2, 125, 70]],
    ['naïve ✓', [206, 108, 147, 2, 1]],
  ];
  for (const [text, ids] of cases) {
    test(`plain: ${JSON.stringify(text)}`, async () => {
      const { tokenizer } = await load({ plainTokenizer: true });
      assert.deepEqual(tokenizer.encode(text).ids, ids);
    });
  }

  test('vocabulary: 704 ids with [STOP]=0, [UNK]=1, [SPACE]=2, [START]=255', async () => {
    const { tokenizer, json } = await load({});
    const ids = Object.values(json.model.vocab).sort((a, b) => a - b);
    assert.deepEqual(
      ids,
      Array.from({ length: 704 }, (_, i) => i),
    );
    assert.deepEqual(
      ['[STOP]', '[UNK]', '[SPACE]', '[START]'].map((t) => tokenizer.token_to_id(t)),
      [0, 1, 2, 255],
    );
  });
});

describe('Turbo tokenizer.json', () => {
  test('byte-level BPE with the paralinguistic tags as single tokens', async () => {
    const { tokenizer } = await load({ variant: 'turbo' });
    const encoded = tokenizer.encode('Hello world, how are you today? [laugh]');
    const tokens = ['Hello', 'Ġworld', ',', 'Ġhow', 'Ġa', 're', 'Ġyou', 'Ġtoday', '?', 'Ġ', '[laugh]'];
    assert.deepEqual(encoded.tokens, tokens);
    assert.equal(tokenizer.decode(encoded.ids), 'Hello world, how are you today? [laugh]');
    const tagIds = TURBO_TAGS.map((tag) => tokenizer.encode(tag).ids);
    assert.ok(tagIds.every((ids) => ids.length === 1 && ids[0]! < 512));
    assert.equal(new Set(tagIds.flat()).size, TURBO_TAGS.length);
  });

  test('every byte is encodable and every id fits the tiny text table', async () => {
    const { tokenizer } = await load({ variant: 'turbo' });
    const ids = tokenizer.encode('Grüße, 東京! \t\n 🙂').ids;
    assert.ok(ids.length > 0 && ids.every((id: number) => id >= 0 && id < 512));
  });
});
