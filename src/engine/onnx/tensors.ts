import ort from 'onnxruntime-node';
import { fromFloat16Array, toFloat16Array } from './float16.js';
import { halfBitsOf, withHalfBitsStorage } from './half-bits.js';

export type Tensor = ort.Tensor;
export type Feeds = Record<string, ort.Tensor>;

/** An int64 tensor of `count` ones (attention masks), built without per-element conversion. */
export function onesInt64Tensor(dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', new BigInt64Array(dims.reduce((n, d) => n * d, 1)).fill(1n), dims);
}

/** An int64 tensor from plain numbers. */
export function int64Tensor(values: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return new ort.Tensor('int64', data, dims);
}

/** A float tensor in the dtype a graph declares ('float32' or 'float16'), from float32 data. */
export function floatTensor(values: Float32Array, dims: readonly number[], type: string = 'float32'): ort.Tensor {
  return type === 'float16' ? withHalfBitsStorage(new ort.Tensor('float16', toFloat16Array(values), dims)) : new ort.Tensor('float32', values, dims);
}

/** A float tensor's data as float32, widening float16. */
export function floatData(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float16') return fromFloat16Array(halfBitsOf(tensor));
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  throw new TypeError(`expected a float tensor, got ${tensor.type}`);
}

/** An int64 tensor's data as numbers. */
export function int64Data(tensor: ort.Tensor): number[] {
  return Array.from(tensor.data as BigInt64Array, (v) => Number(v));
}

/** A zero-length cache tensor [batch, heads, 0, headDim] in the dtype the graph wants. */
export function emptyCacheTensor(type: string, batch: number, heads: number, headDim: number): ort.Tensor {
  return type === 'float16'
    ? withHalfBitsStorage(new ort.Tensor('float16', new Uint16Array(0), [batch, heads, 0, headDim]))
    : new ort.Tensor('float32', new Float32Array(0), [batch, heads, 0, headDim]);
}

/** Describes feeds for error logs: names, dtypes and dims, never data. */
export function describeFeeds(feeds: Feeds): Record<string, string> {
  return Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, `${t.type}[${t.dims.join(',')}]`]));
}

/** A tensor of any element type from its typed-array data (float16 as raw Uint16Array bits, bool as Uint8Array). */
export function makeTensor(type: string, data: ArrayBufferView, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(type as 'float32', data as Float32Array, dims);
}

/**
 * Frees the device memory of every tensor left on a GPU ('gpu-buffer', see session-options.ts) at once, rather than
 * when the garbage collector finds its handle: a step loop drops a whole KV cache per token. CPU tensors are left alone.
 */
export function releaseDeviceTensors(tensors: Iterable<unknown>): void {
  for (const tensor of tensors) {
    const t = tensor as ort.Tensor;
    if (t.location === 'gpu-buffer') t.dispose();
  }
}
