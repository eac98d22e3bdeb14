// The weight formats of the exports' quantized variants. q4 and q4f16 store every linear layer as com.microsoft
// MatMulNBits: 4-bit weights in blocks of 32 along the input dimension, asymmetric (a scale and a 4-bit zero point per
// block), no accuracy_level; q4f16 also runs those matmuls in float16 (float16 scales, a Cast on each side), as its
// float16 activations do. Embedding tables become GatherBlockQuantized with the same blocks.
import { toFloat16Array } from '../engine/onnx/float16.js';
import type { ModelDtype } from './make-model.js';
import { MS_DOMAIN, type GraphBuilder } from './onnx-builder.js';
import { randomTensor } from './random.js';
import { randomLinear, randomWeight } from './weights.js';

/** Weights per quantization block (the exports' MatMulNBits block_size). */
export const Q4_BLOCK_SIZE = 32;

/** A weight in MatMulNBits' layout: per output column, its blocks along the input dimension. */
export interface Q4Weight {
  /** uint8 [N, blocks, blockSize/2]: two 4-bit values per byte, the even index in the low nibble. */
  packed: Uint8Array;
  /** float32 [N · blocks]: w ≈ (q − zeroPoint) · scale. */
  scales: Float32Array;
  /** uint8 [N · ⌈blocks/2⌉]: 4-bit zero points, packed like the weights, each column padded to whole bytes. */
  zeroPoints: Uint8Array;
}

/** Quantizes `weight` [K, N] (row-major, used as x · W) along K in blocks of `blockSize`; K must be a multiple. */
export function quantizeQ4(weight: Float32Array, inputs: number, outputs: number, blockSize = Q4_BLOCK_SIZE): Q4Weight {
  if (inputs % blockSize !== 0) throw new Error(`q4 needs the input width (${inputs}) to be a multiple of ${blockSize}`);
  const blocks = inputs / blockSize;
  const zeroBytes = Math.ceil(blocks / 2);
  const packed = new Uint8Array(outputs * blocks * (blockSize / 2));
  const scales = new Float32Array(outputs * blocks);
  const zeroPoints = new Uint8Array(outputs * zeroBytes);
  for (let n = 0; n < outputs; n++) {
    for (let b = 0; b < blocks; b++) {
      let min = 0;
      let max = 0;
      for (let i = 0; i < blockSize; i++) {
        const w = weight[(b * blockSize + i) * outputs + n]!;
        if (w < min) min = w;
        if (w > max) max = w;
      }
      const scale = max - min > 0 ? (max - min) / 15 : 1;
      const zero = Math.min(15, Math.max(0, Math.round(-min / scale)));
      scales[n * blocks + b] = scale;
      zeroPoints[n * zeroBytes + (b >> 1)]! |= zero << ((b & 1) * 4);
      for (let i = 0; i < blockSize; i++) {
        const q = Math.min(15, Math.max(0, Math.round(weight[(b * blockSize + i) * outputs + n]! / scale) + zero));
        packed[(n * blocks + b) * (blockSize / 2) + (i >> 1)]! |= q << ((i & 1) * 4);
      }
    }
  }
  return { packed, scales, zeroPoints };
}

/** Makes the three initializers of one quantized weight draw and quantize the random weight once between them. */
function lazyQuantized(seed: number, name: string, rows: number, columns: number, std: number, layout: (w: Float32Array) => Q4Weight) {
  let cached: Q4Weight | undefined;
  let taken = 0;
  return <K extends keyof Q4Weight>(key: K) =>
    (): Q4Weight[K] => {
      cached ??= layout(randomTensor(seed, name, rows * columns, std));
      const value = cached[key];
      // Free the weight once all three parts are written (full-size models write one layer at a time).
      if (++taken === 3) cached = undefined;
      return value;
    };
}

/** x · W for a random W [inputs, outputs] of spread gain/√inputs, in the weight format of `dtype`. */
export function linearFor(g: GraphBuilder, seed: number, dtype: ModelDtype) {
  return (x: string, name: string, shape: [inputs: number, outputs: number], output?: string): string => {
    if (dtype !== 'q4' && dtype !== 'q4f16') return randomLinear(g, seed, x, name, shape, 1, output);
    const [inputs, outputs] = shape;
    const blocks = inputs / Q4_BLOCK_SIZE;
    const part = lazyQuantized(seed, name, inputs, outputs, 1 / Math.sqrt(inputs), (w) => quantizeQ4(w, inputs, outputs));
    const half = dtype === 'q4f16';
    const packed = g.weight(`${name}_Q4`, 'uint8', [outputs, blocks, Q4_BLOCK_SIZE / 2], part('packed'));
    const scaleData = part('scales');
    const scales = half
      ? g.weight(`${name}_scales`, 'float16', [outputs * blocks], () => toFloat16Array(scaleData()))
      : g.weight(`${name}_scales`, 'float32', [outputs * blocks], scaleData);
    const zeroPoints = g.weight(`${name}_zero_points`, 'uint8', [outputs * Math.ceil(blocks / 2)], part('zeroPoints'));
    const input = half ? g.op('Cast', [x], { to: 10 }) : x;
    const [product] = g.node('MatMulNBits', [input, packed, scales, zeroPoints], {
      domain: MS_DOMAIN,
      outputs: half ? 1 : output === undefined ? 1 : [output],
      attributes: { K: inputs, N: outputs, bits: 4, block_size: Q4_BLOCK_SIZE },
    });
    return half ? g.op('Cast', [product!], { to: 1 }, output) : product!;
  };
}

/**
 * Rows of a random table [rows, width] gathered at `indices`: a plain Gather, or for q4/q4f16 GatherBlockQuantized
 * over 4-bit blocks along the width (float32 out, the exports' embed_tokens output type).
 */
export function embeddingFor(g: GraphBuilder, seed: number, dtype: ModelDtype) {
  return (name: string, shape: [rows: number, width: number], std: number, indices: string): string => {
    if (dtype !== 'q4' && dtype !== 'q4f16') return g.op('Gather', [randomWeight(g, seed, name, shape, std), indices], { axis: 0 });
    const [rows, width] = shape;
    const blocks = width / Q4_BLOCK_SIZE;
    // GatherBlockQuantized blocks run along the last axis of [rows, width]: quantize the transpose's columns.
    const part = lazyQuantized(seed, name, rows, width, std, (w) => quantizeQ4(transpose(w, rows, width), width, rows));
    const packed = g.weight(`${name}_Q4`, 'uint8', [rows, width / 2], part('packed'));
    const scales = g.weight(`${name}_scales`, 'float32', [rows, blocks], part('scales'));
    const zeroPoints = g.weight(`${name}_zero_points`, 'uint8', [rows, Math.ceil(blocks / 2)], part('zeroPoints'));
    return g.node('GatherBlockQuantized', [packed, indices, scales, zeroPoints], {
      domain: MS_DOMAIN,
      attributes: { gather_axis: 0, quantize_axis: 1, block_size: Q4_BLOCK_SIZE, bits: 4 },
    })[0]!;
  };
}

function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c]!;
  return out;
}
