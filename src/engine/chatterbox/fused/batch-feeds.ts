// The inputs of a fused run that follow from who shares it rather than from the decode state: each row's request,
// each request's cond and uncond rows, and its sampler settings, one element per request (see decode-graph.ts).
import { floatTensor, int64Tensor, makeTensor, type Feeds } from '../../onnx/tensors.js';
import type { Member } from './batch-member.js';
import type { FusedLayout } from './decode-graph.js';

/** The per-run inputs of `batch` besides its state: which rows belong to whom, and each request's sampler settings. */
export function requestFeeds(layout: FusedLayout, batch: readonly Member[]): Feeds {
  const rows = batch.flatMap((m, i) => Array<number>(m.rows).fill(i));
  const condRows: number[] = [];
  const uncondRows: number[] = [];
  let row = 0;
  for (const m of batch) {
    condRows.push(row);
    uncondRows.push(row + m.rows - 1);
    row += m.rows;
  }
  const n = batch.length;
  const p = batch.map((m) => m.params);
  const feeds: Feeds = {
    row_requests: int64Tensor(rows, [rows.length]),
    // Decode runs take the logits of their single position; a prompt run's state feeds override this.
    prompt_last: int64Tensor(Array<number>(rows.length).fill(0), [rows.length]),
    cond_rows: int64Tensor(condRows, [n]),
    uncond_rows: int64Tensor(uncondRows, [n]),
    cfg_weight: makeTensor(
      'float32',
      Float32Array.from(p, (x) => x.cfg),
      [n],
    ),
    repetition_penalty: makeTensor(
      'float32',
      Float32Array.from(p, (x) => x.penalty),
      [n],
    ),
    inv_temperature: makeTensor(
      'float64',
      Float64Array.from(p, (x) => x.invT),
      [n],
    ),
    min_p_offset: makeTensor(
      'float64',
      Float64Array.from(p, (x) => x.minPOffset),
      [n],
    ),
    top_k: makeTensor(
      'int64',
      BigInt64Array.from(p, (x) => BigInt(x.topK)),
      [n],
    ),
    top_p: makeTensor(
      'float64',
      Float64Array.from(p, (x) => x.topP),
      [n],
    ),
  };
  if (layout.exaggerationType) {
    const values = new Float32Array(rows.length);
    rows.forEach((request, r) => (values[r] = p[request]!.exaggeration));
    feeds.exaggeration = floatTensor(values, [rows.length], layout.exaggerationType);
  }
  return feeds;
}
