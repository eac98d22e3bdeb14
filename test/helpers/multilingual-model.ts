// The generated models have no multilingual variant of their own: a copy of a tiny English model whose tokenizer has a
// `[xx]` token per language is what the engine takes for the multilingual model (it tells the variant by `[fr]` and `[de]`).
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Copies the tiny model in `englishDir` to a temporary directory (the caller removes it) with `[xx]` tokens for `languages`. */
export async function multilingualCopyOf(englishDir: string, languages: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chatterbox-multilingual-'));
  await cp(englishDir, dir, { recursive: true });
  const path = join(dir, 'tokenizer.json');
  const json = JSON.parse(await readFile(path, 'utf8')) as { added_tokens: Array<Record<string, unknown>>; model: { vocab: Record<string, number> } };
  for (const [index, language] of languages.entries()) {
    const placeholder = `[PLACEHOLDER${703 - index}]`;
    const id = json.model.vocab[placeholder]!;
    delete json.model.vocab[placeholder];
    json.model.vocab[`[${language}]`] = id;
    json.added_tokens.push({ id, content: `[${language}]`, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  await writeFile(path, JSON.stringify(json));
  return dir;
}
