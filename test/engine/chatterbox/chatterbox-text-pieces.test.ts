import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createChatterboxEngine } from '../../../src/engine/chatterbox/chatterbox-engine.js';
import type { Engine } from '../../../src/engine/engine.js';
import { multilingualCopyOf } from '../../helpers/multilingual-model.js';
import { ensureTinyModel } from '../../helpers/tiny-model.js';
import { collectChunks, joinChunks, requestFor } from '../contract.js';

// How the engine cuts text into generation calls, seen from outside: with max_new_tokens N, one call yields at most
// N tokens, so a request that yields more than N was cut into several calls.

const MAX_NEW_TOKENS = 2;
const LANGUAGES = ['ar', 'en', 'hi', 'ja', 'ko', 'zh'];

const engineFor = (modelDir: string) => createChatterboxEngine({ kind: 'chatterbox', modelDir, device: 'cpu', dtype: 'fp32', gpu: 0 });

async function speak(engine: Engine, text: string, language?: string) {
  const chunks = await collectChunks(engine, requestFor(engine, text, { language, params: { temperature: 0, max_new_tokens: MAX_NEW_TOKENS } }));
  return { audio: joinChunks(chunks), tokens: chunks.at(-1)?.tokens ?? 0 };
}

describe('Chatterbox text pieces on the tiny models', { timeout: 120_000 }, () => {
  let english: Engine;
  let multilingual: Engine;
  let multilingualDir: string;
  before(async () => {
    english = await engineFor(await ensureTinyModel());
    multilingualDir = await multilingualCopyOf(await ensureTinyModel(), [...LANGUAGES, 'fr', 'de']);
    multilingual = await engineFor(multilingualDir);
  });
  after(async () => {
    await Promise.all([english?.close(), multilingual?.close()]);
    await rm(multilingualDir, { recursive: true, force: true });
  });

  it('regression: a×5000 (an ONNX index error naming graph nodes) runs to its end without an error', async () => {
    // The tiny model's stop bias ends a 300-letter prompt at once (see model-gen's language model), so this shows
    // that every piece fits the position table, not how much is spoken.
    await speak(english, 'a'.repeat(5000));
    await speak(english, `${'a'.repeat(3000)} ${'b'.repeat(2000)}`);
  });

  it('the multilingual model lists the languages under test', () => {
    for (const language of LANGUAGES) assert.ok(multilingual.info.languages.includes(language), language);
  });

  const texts: Array<[string, string]> = [
    ['zh', '今天早上我们一起去公园散步，看到很多人在锻炼身体。'.repeat(16).slice(0, 380)],
    ['zh', '我们今天早上在公园里看到了很多小朋友在玩游戏'.repeat(17).slice(0, 380)],
    ['ja', 'きょうはいいてんきです。こうえんにいきましょう！'.repeat(16)],
    ['ko', '오늘은 날씨가 좋네요. 공원에 갈까요? '.repeat(12)],
    ['hi', 'आज मौसम बहुत अच्छा है। हम पार्क चलते हैं। '.repeat(8)],
    ['ar', 'هل الطقس جميل اليوم؟ هل نذهب إلى الحديقة؟ '.repeat(8)],
  ];
  for (const [language, text] of texts) {
    it(`${language}: ${text.length} characters ${/[。！？.?।؟]/u.test(text) ? 'in sentences' : 'without a mark'} become several generation calls`, async () => {
      const { audio, tokens } = await speak(multilingual, text, language);
      assert.ok(audio.length > 0);
      assert.ok(tokens > 2 * MAX_NEW_TOKENS, `${tokens} tokens: at most two generation calls`);
    });
  }
});
