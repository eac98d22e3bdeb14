// The feeds of a prompt run: the prompts of several requests as one batch, right-padded to the longest. Each row's
// mask covers its own prompt only, the graph takes each row's logits at its own last position (`prompt_last`), and
// the cache comes out in the same right-padded form a merged batch has (see batch-state.ts), so a row's tokens do not
// depend on which prompts shared its prefill.
import { emptyCacheTensor, floatTensor, int64Tensor, makeTensor, type Feeds } from '../../onnx/tensors.js';
import type { PromptEmbeds } from '../prompt-embeds.js';
import { TOKENS } from '../text-tokenizer.js';
import type { FusedLayout } from './decode-graph.js';

/** What the prompt batch needs to know of the model besides the fused layout. */
export interface PromptBatchDims {
  hidden: number;
  vocab: number;
  kvHeads: number;
  headDim: number;
}

/** The state feeds of one run that prefills `prompts` (one per request, each with its rows) together. */
export function promptBatchFeeds(layout: FusedLayout, dims: PromptBatchDims, prompts: readonly PromptEmbeds[]): Feeds {
  const rows = prompts.reduce((n, p) => n + p.rows, 0);
  const width = Math.max(...prompts.map((p) => p.length));
  const { hidden } = dims;
  const embeds = new Float32Array(rows * width * hidden);
  const mask = new BigInt64Array(rows * width);
  const positions = new Array<number>(rows * width);
  const lastPositions: number[] = [];
  let row = 0;
  for (const prompt of prompts) {
    for (let r = 0; r < prompt.rows; r++, row++) {
      const length = prompt.length;
      embeds.set(prompt.data.subarray(r * length * hidden, (r + 1) * length * hidden), row * width * hidden);
      mask.fill(1n, row * width, row * width + length);
      // Padding repeats the last position, so the next token's position (the last one plus one) is the row's own.
      for (let i = 0; i < width; i++) positions[row * width + i] = Math.min(i, length - 1);
      lastPositions.push(length - 1);
    }
  }
  const seen = new Uint8Array(prompts.length * dims.vocab);
  for (let request = 0; request < prompts.length; request++) seen[request * dims.vocab + TOKENS.startSpeech] = 1;
  const feeds: Feeds = {
    inputs_embeds: floatTensor(embeds, [rows, width, hidden], layout.embedsType),
    attention_mask: makeTensor('int64', mask, [rows, width]),
    seen_tokens: makeTensor('bool', seen, [prompts.length, dims.vocab]),
    prompt_last: int64Tensor(lastPositions, [rows]),
  };
  if (layout.lmPositionIds) feeds.position_ids = int64Tensor(positions, [rows, width]);
  if (layout.embedPositionIds) feeds.embed_positions = int64Tensor(Array<number>(rows).fill(1), [rows]);
  for (let layer = 0; layer < layout.layers; layer++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = emptyCacheTensor(layout.cacheType, rows, dims.kvHeads, dims.headDim);
  }
  return feeds;
}
