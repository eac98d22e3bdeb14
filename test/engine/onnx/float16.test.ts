import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { float16BitsToFloat32, float32ToFloat16Bits, fromFloat16Array, toFloat16Array } from '../../../src/engine/onnx/float16.js';

describe('float16', () => {
  const exact: Array<[value: number, bits: number]> = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001],
    [2 ** -14, 0x0400],
  ];
  for (const [value, bits] of exact) {
    test(`${value} ↔ 0x${bits.toString(16)}`, () => {
      assert.equal(float32ToFloat16Bits(value), bits);
      assert.equal(float16BitsToFloat32(bits), value);
    });
  }

  const rounded: Array<[value: number, bits: number, why: string]> = [
    [1e6, 0x7c00, 'overflow to infinity'],
    [1 + 2 ** -11, 0x3c00, 'a tie rounds to even (down)'],
    [1 + 3 * 2 ** -11, 0x3c02, 'a tie rounds to even (up)'],
    [2 ** -26, 0x0000, 'underflow to zero'],
  ];
  for (const [value, bits, why] of rounded) {
    test(`${value} → 0x${bits.toString(16)}: ${why}`, () => assert.equal(float32ToFloat16Bits(value), bits));
  }

  test('NaN stays NaN', () => assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN)))));

  test('arrays round-trip within half precision', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100);
    const back = fromFloat16Array(toFloat16Array(values));
    for (let i = 0; i < values.length; i++) {
      assert.ok(Math.abs(back[i]! - values[i]!) <= Math.abs(values[i]!) * 2 ** -11 + 1e-7);
    }
  });
});
