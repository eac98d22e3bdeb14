// The Turbo tokenizer.json: a small GPT-2-style byte-level BPE (the 256 byte symbols, a few dozen of GPT-2's
// earliest merges, <|endoftext|> and the paralinguistic tags as added tokens). Every id stays below the tiny Turbo
// text embedding (512 rows); the real file has 50276 ids with the tags at 50257..50275.
import { TINY_TURBO_TEXT_VOCAB } from './sizes.js';

/** The paralinguistic tags, in the real tokenizer's id order. */
export const TURBO_TAGS = [
  '[angry]',
  '[fear]',
  '[surprised]',
  '[whispering]',
  '[advertisement]',
  '[dramatic]',
  '[narration]',
  '[crying]',
  '[happy]',
  '[sarcastic]',
  '[clear throat]',
  '[sigh]',
  '[shush]',
  '[cough]',
  '[groan]',
  '[sniff]',
  '[gasp]',
  '[chuckle]',
  '[laugh]',
] as const;

const MERGES = [
  'Ġ t',
  'Ġ a',
  'h e',
  'i n',
  'r e',
  'o n',
  'Ġt he',
  'e r',
  'Ġ s',
  'a t',
  'Ġ w',
  'Ġ o',
  'Ġ i',
  'e n',
  'Ġ c',
  'i t',
  'i s',
  'a n',
  'o r',
  'e s',
  'Ġ b',
  'e d',
  'Ġ f',
  'in g',
  'Ġ p',
  'o u',
  'Ġa n',
  'a l',
  'a r',
  'Ġt o',
  'Ġ m',
  'Ġo f',
  'Ġ in',
  'Ġ d',
  'Ġ h',
  'Ġan d',
  'i c',
  'a s',
  'l e',
  'Ġt h',
  'i on',
  'o m',
  'l l',
  'en t',
  'Ġ n',
  'Ġ l',
  's t',
  'Ġ re',
  'v e',
  'Ġ e',
  'r o',
  'l y',
  'Ġb e',
  'Ġ g',
  'Ġ T',
  'c t',
  'Ġ S',
  'i d',
  'o t',
  'Ġ I',
  'u t',
  'e t',
  'Ġ A',
  'Ġi s',
  'Ġo n',
  'Ġ H',
  'Ġ y',
  'o w',
  'l d',
  'Ġy ou',
  'Ġw or',
  'Ġwor ld',
  'Ġh ow',
  'H e',
  'He ll',
  'Hell o',
  'a y',
  'Ġto d',
  'Ġtod ay',
];

/** GPT-2's printable stand-in for each byte, so every byte sequence is a string of vocabulary symbols. */
export function byteSymbols(): string[] {
  const direct: number[] = [];
  for (let b = 33; b <= 126; b++) direct.push(b);
  for (let b = 161; b <= 172; b++) direct.push(b);
  for (let b = 174; b <= 255; b++) direct.push(b);
  const symbols = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) symbols[b] = String.fromCharCode(direct.includes(b) ? b : 256 + shifted++);
  return symbols;
}

/** The Turbo tokenizer.json as an object (serialise with JSON.stringify). */
export function turboTokenizerJson(): Record<string, unknown> {
  const symbols = byteSymbols();
  const order: string[] = [];
  for (let b = 33; b <= 126; b++) order.push(symbols[b]!);
  for (let b = 161; b <= 172; b++) order.push(symbols[b]!);
  for (let b = 174; b <= 255; b++) order.push(symbols[b]!);
  for (const s of symbols) if (!order.includes(s)) order.push(s);
  const vocab = new Map(order.map((s, i) => [s, i]));
  for (const merge of MERGES) {
    const [left, right] = merge.split(' ') as [string, string];
    if (!vocab.has(left) || !vocab.has(right)) throw new Error(`merge ${merge} has unknown parts`);
    vocab.set(left + right, vocab.size);
  }
  const added = ['<|endoftext|>', ...TURBO_TAGS].map((content, i) => ({
    id: vocab.size + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  if (vocab.size + added.length > TINY_TURBO_TEXT_VOCAB) throw new Error('turbo tokenizer outgrew the tiny text table');
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges: MERGES,
    },
  };
}
