import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { float32ToFloat16Bits } from '../../../src/engine/onnx/float16.js';
import { describeFeeds, emptyCacheTensor, floatData, floatTensor, int64Data, int64Tensor } from '../../../src/engine/onnx/tensors.js';

describe('tensor helpers', () => {
  it('int64: numbers → BigInt64Array → the same numbers, beyond 32 bits and negative', () => {
    const values = [0, 1, -1, 6561, 2 ** 40 + 3, -(2 ** 35), Number.MAX_SAFE_INTEGER];
    const tensor = int64Tensor(values, [1, values.length]);
    assert.equal(tensor.type, 'int64');
    assert.deepEqual(tensor.dims, [1, values.length]);
    assert.ok(tensor.data instanceof BigInt64Array);
    assert.deepEqual(int64Data(tensor), values);
  });

  it('float32 passes the data through unchanged', () => {
    const values = Float32Array.of(0.1, -2.5, 3e-8);
    const tensor = floatTensor(values, [3]);
    assert.equal(tensor.type, 'float32');
    assert.equal(floatData(tensor), values);
  });

  it('float16: stored as half bits, widened back to the nearest half', () => {
    const values = Float32Array.of(0, 1, -2, 0.5, 65504, 0.1, 1 / 3);
    const tensor = floatTensor(values, [1, 7], 'float16');
    assert.equal(tensor.type, 'float16');
    assert.deepEqual(tensor.dims, [1, 7]);
    assert.deepEqual(Array.from(tensor.data as Uint16Array), Array.from(values, float32ToFloat16Bits));
    const back = floatData(tensor);
    assert.ok(back instanceof Float32Array);
    assert.deepEqual(Array.from(back.subarray(0, 5)), [0, 1, -2, 0.5, 65504], 'exact halves come back exactly');
    for (let i = 5; i < values.length; i++) assert.ok(Math.abs(back[i]! - values[i]!) <= values[i]! * 2 ** -11, `${values[i]} → ${back[i]}`);
  });

  it('floatData refuses a tensor that is not float', () => {
    assert.throws(() => floatData(int64Tensor([1], [1])), TypeError);
  });

  it('empty caches have a zero-length past axis in the dtype asked for', () => {
    for (const type of ['float32', 'float16']) {
      const cache = emptyCacheTensor(type, 2, 16, 64);
      assert.equal(cache.type, type);
      assert.deepEqual(cache.dims, [2, 16, 0, 64]);
      assert.equal(cache.size, 0);
    }
  });

  it('describeFeeds gives names, dtypes and dims, never data', () => {
    const feeds = { input_ids: int64Tensor([7, 8, 9], [1, 3]), past: emptyCacheTensor('float16', 1, 4, 16) };
    assert.deepEqual(describeFeeds(feeds), { input_ids: 'int64[1,3]', past: 'float16[1,4,0,16]' });
  });
});
