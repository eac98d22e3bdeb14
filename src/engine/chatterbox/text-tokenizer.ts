import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import type { ChatterboxVariant } from './sampler-params.js';

/** Token ids the English and multilingual prompts are built from (see docs/chatterbox-onnx.md). */
export const TOKENS = { exaggeration: 6563, startText: 255, stopText: 0, startSpeech: 6561, stopSpeech: 6562 } as const;

/** A tokenized prompt: ids for embed_tokens, and which of them are text (zeroed in CFG's unconditional row). */
export interface EncodedText {
  ids: number[];
  /** [start, end) of the text tokens within `ids`, start/stop-text tokens included. */
  textRange: [number, number];
}

/** Text → prompt ids for one model family, whether or not its tokenizer.json adds the wrapper tokens itself. */
export interface TextTokenizer {
  readonly isMultilingual: boolean;
  /** Language codes with a `[xx]` token in the vocabulary (multilingual), else just 'en'. */
  readonly languages: string[];
  /** True when tokenizer.json's post-processor already yields [6563, 255, …, 0, 6561, 6561]. */
  readonly wrapsPrompt: boolean;
  setVariant(variant: ChatterboxVariant): void;
  encode(text: string, language?: string): EncodedText;
}

/** Reads tokenizer.json and checks what its output looks like by tokenizing once. Throws Error on a file it cannot use. */
export function loadTextTokenizer(path: string): TextTokenizer {
  const json = JSON.parse(readFileSync(path, 'utf8')) as object;
  const tokenizer = new Tokenizer(json, {});
  const probe = tokenizer.encode('Hello.').ids;
  if (probe.length === 0) throw new Error('tokenizes "Hello." to nothing');
  const wrapsPrompt = probe[0] === TOKENS.exaggeration;
  if (wrapsPrompt && (probe[1] !== TOKENS.startText || probe.at(-1) !== TOKENS.startSpeech || probe.at(-2) !== TOKENS.startSpeech)) {
    throw new Error(`post-processor output [${probe.join(', ')}] starts with 6563 but is not [6563, 255, …, 0, 6561, 6561]`);
  }
  const isMultilingual = tokenizer.token_to_id('[fr]') !== undefined && tokenizer.token_to_id('[de]') !== undefined;
  let variant: ChatterboxVariant = isMultilingual ? 'multilingual' : 'english';
  const languages = isMultilingual ? [...tokenizer.get_vocab(true).keys()].flatMap((token) => /^\[([a-z]{2,3})\]$/.exec(token)?.[1] ?? []).sort() : ['en'];

  return {
    isMultilingual,
    get languages() {
      return variant === 'multilingual' ? languages : ['en'];
    },
    wrapsPrompt,
    setVariant(v) {
      variant = v;
    },
    encode(text, language = 'en') {
      if (variant === 'turbo') {
        const ids = tokenizer.encode(text).ids;
        return { ids, textRange: [0, ids.length] };
      }
      const input = variant === 'multilingual' ? `[${language.toLowerCase()}]${text}` : text;
      const raw = tokenizer.encode(input).ids;
      if (wrapsPrompt) {
        const stop = raw.indexOf(TOKENS.stopText, 2);
        return { ids: raw, textRange: [1, stop < 0 ? raw.length - 2 : stop + 1] };
      }
      const ids = [TOKENS.exaggeration, TOKENS.startText, ...raw, TOKENS.stopText, TOKENS.startSpeech, TOKENS.startSpeech];
      return { ids, textRange: [1, raw.length + 3] };
    },
  };
}
