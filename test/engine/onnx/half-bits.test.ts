import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { halfBitsOf, withHalfBitsStorage } from '../../../src/engine/onnx/half-bits.js';

/** A float16 tensor whose storage is another 16-bit array type, as onnxruntime-common makes it where Float16Array exists. */
function tensorStoredAs(bits: Uint16Array): ort.Tensor {
  const tensor = new ort.Tensor('float16', bits, [bits.length]);
  const Half = (globalThis as { Float16Array?: new (b: ArrayBufferLike, o: number, n: number) => ArrayBufferView }).Float16Array ?? Int16Array;
  (tensor as unknown as { cpuData: unknown }).cpuData = new Half(bits.buffer, bits.byteOffset, bits.length);
  return tensor;
}

describe('float16 tensor storage for the native binding', () => {
  it('reads the raw bits of any 16-bit storage without copying', () => {
    const bits = Uint16Array.of(0x3c00, 0xc000, 0x7bff);
    const tensor = tensorStoredAs(bits);
    assert.ok(!(tensor.data instanceof Uint16Array));
    const view = halfBitsOf(tensor);
    assert.ok(view instanceof Uint16Array);
    assert.deepEqual(Array.from(view), [0x3c00, 0xc000, 0x7bff]);
    assert.equal(view.buffer, bits.buffer);
  });

  it('restores Uint16Array storage in place, and leaves other tensors alone', () => {
    const tensor = tensorStoredAs(Uint16Array.of(1, 2, 3));
    assert.equal(withHalfBitsStorage(tensor), tensor);
    assert.ok(tensor.data instanceof Uint16Array);
    assert.deepEqual(Array.from(tensor.data as Uint16Array), [1, 2, 3]);
    const floats = new ort.Tensor('float32', Float32Array.of(1), [1]);
    assert.equal(withHalfBitsStorage(floats).data, floats.data);
  });
});
