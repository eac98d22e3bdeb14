// The decode state of requests sharing a fused run: each request keeps its rows of the run's outputs (views, no
// copy), and a new batch is assembled by copying every row's valid cache entries to the front of a common width
// (right padding), the mask saying how many are valid. Both cache layouts (see FusedLayout.cacheLayout) come out as
// the same compacted form, so positions and results do not depend on who shared the batch.
import type ort from 'onnxruntime-node';
import { makeTensor, type Feeds } from '../../onnx/tensors.js';
import type { FusedLayout } from './decode-graph.js';

/** One request's part of the decode state: its rows of every per-row tensor, its row of seen_tokens. */
export type RequestState = Feeds;

type TypedArray = Float32Array | Uint16Array | BigInt64Array | Uint8Array;

function cacheNames(layout: FusedLayout): string[] {
  return Array.from({ length: layout.layers }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat();
}

function rowsOf(tensor: ort.Tensor, start: number, count: number): ort.Tensor {
  const perRow = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
  const data = tensor.data as TypedArray;
  return makeTensor(tensor.type, data.subarray(start * perRow, (start + count) * perRow) as Float32Array, [count, ...tensor.dims.slice(1)]);
}

/** The next-run state of each request from a run's outputs (rows taken in order; `rows[i]` rows for request i). */
export function splitOutputs(layout: FusedLayout, out: ort.InferenceSession.OnnxValueMapType, rows: readonly number[]): RequestState[] {
  let row = 0;
  return rows.map((count, request) => {
    const state: RequestState = {};
    for (const [name, value] of Object.entries(out)) {
      if (!name.startsWith('next_')) continue;
      const input = name.slice('next_'.length);
      state[input] = input === 'seen_tokens' ? rowsOf(value as ort.Tensor, request, 1) : rowsOf(value as ort.Tensor, row, count);
    }
    for (const name of cacheNames(layout)) state[name] = rowsOf(out[name.replace('past_key_values.', 'present.')] as ort.Tensor, row, count);
    row += count;
    return state;
  });
}

/** The valid cache columns of one row: its first `count` (prefix layout) or where the mask is set (mask layout). */
function validColumns(layout: FusedLayout, mask: BigInt64Array, width: number, cacheWidth: number): number[] {
  if (layout.cacheLayout === 'prefix') {
    let count = 0;
    for (let w = 0; w < width; w++) count += Number(mask[w]!);
    return Array.from({ length: count - (width - cacheWidth) }, (_, i) => i);
  }
  const columns: number[] = [];
  for (let w = 0; w < cacheWidth; w++) if (mask[w] === 1n) columns.push(w);
  return columns;
}

/** Concatenates the requests' states into one batch (rows in request order), compacting every row's cache. */
export function mergeStates(layout: FusedLayout, states: readonly RequestState[]): Feeds {
  const rows = states.map((s) => s.attention_mask!.dims[0]!);
  const total = rows.reduce((a, b) => a + b, 0);
  const step = states[0]!.inputs_embeds!.dims[1]!;
  // Valid cache columns of every batch row.
  const columns: number[][] = [];
  for (const state of states) {
    const mask = state.attention_mask!;
    const width = mask.dims[1]!;
    const cacheWidth = state['past_key_values.0.key']!.dims[2]!;
    for (let r = 0; r < mask.dims[0]!; r++)
      columns.push(validColumns(layout, (mask.data as BigInt64Array).subarray(r * width, (r + 1) * width), width, cacheWidth));
  }
  const cacheWidth = Math.max(...columns.map((c) => c.length));
  const merged: Feeds = {};
  const mask = new BigInt64Array(total * (cacheWidth + step));
  columns.forEach((valid, r) => {
    const offset = r * (cacheWidth + step);
    mask.fill(1n, offset, offset + valid.length);
    mask.fill(1n, offset + cacheWidth, offset + cacheWidth + step);
  });
  merged.attention_mask = makeTensor('int64', mask, [total, cacheWidth + step]);
  for (const name of cacheNames(layout))
    merged[name] = mergeCache(
      states.map((s) => s[name]!),
      columns,
      cacheWidth,
    );
  for (const name of ['inputs_embeds', 'position_ids', 'embed_positions', 'seen_tokens']) {
    if (states[0]![name]) merged[name] = concatRows(states.map((s) => s[name]!));
  }
  return merged;
}

function mergeCache(parts: readonly ort.Tensor[], columns: number[][], width: number): ort.Tensor {
  const [, heads, , headDim] = parts[0]!.dims as [number, number, number, number];
  const rows = parts.reduce((n, t) => n + t.dims[0]!, 0);
  const first = parts[0]!.data as TypedArray;
  const out = new (first.constructor as new (length: number) => TypedArray)(rows * heads * width * headDim);
  let row = 0;
  for (const part of parts) {
    const data = part.data as TypedArray;
    const partWidth = part.dims[2]!;
    for (let r = 0; r < part.dims[0]!; r++, row++) {
      const valid = columns[row]!;
      const contiguous = valid.length === 0 || valid[valid.length - 1]! - valid[0]! === valid.length - 1;
      for (let h = 0; h < heads; h++) {
        const from = (r * heads + h) * partWidth * headDim;
        const to = (row * heads + h) * width * headDim;
        if (contiguous) {
          const start = from + (valid[0] ?? 0) * headDim;
          out.set(data.subarray(start, start + valid.length * headDim) as never, to);
        } else {
          valid.forEach((w, j) => out.set(data.subarray(from + w * headDim, from + (w + 1) * headDim) as never, to + j * headDim));
        }
      }
    }
  }
  return makeTensor(parts[0]!.type, out as Float32Array, [rows, heads, width, headDim]);
}

function concatRows(parts: readonly ort.Tensor[]): ort.Tensor {
  const first = parts[0]!.data as TypedArray;
  const length = parts.reduce((n, t) => n + (t.data as TypedArray).length, 0);
  const out = new (first.constructor as new (length: number) => TypedArray)(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part.data as never, offset);
    offset += (part.data as TypedArray).length;
  }
  const rows = parts.reduce((n, t) => n + t.dims[0]!, 0);
  return makeTensor(parts[0]!.type, out as Float32Array, [rows, ...parts[0]!.dims.slice(1)]);
}
