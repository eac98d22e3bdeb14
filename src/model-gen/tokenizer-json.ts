// The English tokenizer.json, shaped like Chatterbox's: a character-level BPE over 704 ids with [STOP]=0, [UNK]=1,
// [SPACE]=2, [START]=255, a Whitespace pre-tokenizer, and spaces mapped to [SPACE] (the Python code replaces them
// before encoding; here a Replace normalizer does it so the file works on its own). With the template (default) the
// post-processor frames the text as [6563, 255, …text…, 0, 6561, 6561], the layout the ONNX cards feed
// embed_tokens; `plain` leaves that framing to the caller.
import { EXAGGERATION_TOKEN, SPACE_TEXT_TOKEN, START_SPEECH_TOKEN, START_TEXT_TOKEN, STOP_TEXT_TOKEN, UNK_TEXT_TOKEN } from './constants.js';

/** Number of ids in the English text vocabulary. */
export const ENGLISH_TEXT_VOCAB_SIZE = 704;

const ACCENTED = 'àáâäçèéêëíîïñóôöúùûü';
// Merges in rank order; each pair's parts are characters or earlier merges.
const MERGES = (
  'th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de hi ri ro ' +
  'ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec pr no ct us ac ot il tr ly nc et ut ss so ' +
  'rs un lo wa ge ie wh ee wi em ad ol rt po we na ul ni ts mo ow pa im mi ai sh ir su id os iv ia am fi ci vi pl ' +
  'ig tu ev ld ry mp fe bl ab gh ty op wo sa ay ex ke fr oo av ag if ap gr od bo sp rd do uc bu ei ov by rm ep ' +
  'Th He In Wh It Th Wo Ho Hi Yo We Th An ' +
  'th_e in_g an_d io_n ti_o en_t er_e he_r at_e hi_s te_r th_a ha_t ve_r al_l th_i on_e ou_r re_s ar_e ' +
  'es_t it_h fo_r in_t wi_th ment ation tion ' +
  'el_l He_ll Hell_o wo_r wor_ld Wo_r Wor_ld'
)
  .split(' ')
  .filter((m, i, all) => all.indexOf(m) === i);

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** Options for the English tokenizer. */
export interface EnglishTokenizerOptions {
  /** Omit the post-processor template: encode() then returns the bare text ids. */
  plain: boolean;
}

/** The English tokenizer.json as an object (serialise with JSON.stringify). */
export function englishTokenizerJson(options: EnglishTokenizerOptions): Record<string, unknown> {
  const vocab = new Map<string, number>([
    ['[STOP]', STOP_TEXT_TOKEN],
    ['[UNK]', UNK_TEXT_TOKEN],
    ['[SPACE]', SPACE_TEXT_TOKEN],
  ]);
  let next = 3;
  const add = (token: string) => {
    if (next === START_TEXT_TOKEN) vocab.set('[START]', next++);
    if (!vocab.has(token)) vocab.set(token, next++);
  };
  for (let c = 33; c <= 126; c++) add(String.fromCharCode(c));
  for (const c of ACCENTED) add(c);
  const merges: Array<[string, string]> = [];
  for (const merge of MERGES) {
    const [left, right] = splitMerge(merge, vocab);
    merges.push([left, right]);
    add(left + right);
  }
  while (next < ENGLISH_TEXT_VOCAB_SIZE) add(`[PLACEHOLDER${next}]`);

  const special = (id: number, content: string, normalized = false): AddedTokenJson => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized,
    special: true,
  });
  const added = [
    special(STOP_TEXT_TOKEN, '[STOP]'),
    special(UNK_TEXT_TOKEN, '[UNK]'),
    // Matched after normalisation, where the Replace normaliser has turned spaces into it.
    special(SPACE_TEXT_TOKEN, '[SPACE]', true),
    special(START_TEXT_TOKEN, '[START]'),
  ];
  if (!options.plain) {
    added.push(special(START_SPEECH_TOKEN, '<START_SPEECH>'), special(EXAGGERATION_TOKEN, '<EXAGGERATION>'));
  }

  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '[SPACE]' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: options.plain ? null : template(),
    decoder: null,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '[UNK]',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges: merges.map(([left, right]) => `${left} ${right}`),
    },
  };
}

// "th_e" merges "th" with "e"; an unmarked merge of two characters splits in the middle; longer unmarked words
// split at the longest known prefix.
function splitMerge(merge: string, vocab: Map<string, number>): [string, string] {
  if (merge.includes('_')) {
    const [left, right] = merge.split('_') as [string, string];
    return [left, right];
  }
  for (let cut = merge.length - 1; cut > 0; cut--) {
    const left = merge.slice(0, cut);
    const right = merge.slice(cut);
    if (vocab.has(left) && vocab.has(right)) return [left, right];
  }
  throw new Error(`merge ${merge} has no known parts`);
}

function template(): Record<string, unknown> {
  const token = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const entry = (content: string, id: number) => ({ id: content, ids: [id], tokens: [content] });
  const frame = (sequences: Array<{ Sequence: { id: string; type_id: number } }>) => [
    token('<EXAGGERATION>'),
    token('[START]'),
    ...sequences,
    token('[STOP]'),
    token('<START_SPEECH>'),
    token('<START_SPEECH>'),
  ];
  return {
    type: 'TemplateProcessing',
    single: frame([{ Sequence: { id: 'A', type_id: 0 } }]),
    pair: frame([{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }]),
    special_tokens: {
      '<EXAGGERATION>': entry('<EXAGGERATION>', EXAGGERATION_TOKEN),
      '[START]': entry('[START]', START_TEXT_TOKEN),
      '[STOP]': entry('[STOP]', STOP_TEXT_TOKEN),
      '<START_SPEECH>': entry('<START_SPEECH>', START_SPEECH_TOKEN),
    },
  };
}
