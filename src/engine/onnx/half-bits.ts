import type ort from 'onnxruntime-node';

/**
 * Where the runtime has `Float16Array` (Node 23+), onnxruntime-common stores float16 tensor data as one, even when
 * it is given a Uint16Array, and returns outputs as one. onnxruntime-node 1.30's binding reads such an array's
 * byte length as 0 and rejects the input ("not enough space: expected N, got 0"; microsoft/onnxruntime#32323).
 * These helpers keep the raw half bits in a Uint16Array view of the same memory, which every Node version accepts.
 */

interface TensorStorage {
  cpuData?: unknown;
}

/** A float16 tensor's data as its raw 16-bit patterns (a view, no copy), whatever array type holds it. */
export function halfBitsOf(tensor: ort.Tensor): Uint16Array {
  const data = tensor.data as ArrayBufferView & { length: number };
  return data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, data.length);
}

/** Makes a float16 tensor's storage a Uint16Array view, so the native binding reads its real size; returns it. */
export function withHalfBitsStorage(tensor: ort.Tensor): ort.Tensor {
  if (tensor.type !== 'float16' || tensor.location !== 'cpu' || tensor.data instanceof Uint16Array) return tensor;
  (tensor as unknown as TensorStorage).cpuData = halfBitsOf(tensor);
  return tensor;
}

/** `session.run(feeds)` with every float16 feed stored so the native binding accepts it on every Node version. */
export function runSession(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  for (const tensor of Object.values(feeds)) withHalfBitsStorage(tensor);
  return session.run(feeds);
}
