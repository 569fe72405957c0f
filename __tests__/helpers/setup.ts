/**
 * Jest setup shared by every test file: the `toBeAllClose` matcher.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from '@jest/globals';

type Numeric =
  tf.Tensor | number | number[] | number[][] | number[][][] | Float32Array | Int32Array;

function flatten(value: Numeric): { values: number[]; shape: number[] } {
  if (value instanceof tf.Tensor) {
    return { values: Array.from(value.dataSync()), shape: value.shape.slice() };
  }
  if (typeof value === 'number') return { values: [value], shape: [] };
  if (value instanceof Float32Array || value instanceof Int32Array) {
    return { values: Array.from(value), shape: [value.length] };
  }
  const t = tf.tensor(value);
  const out = { values: Array.from(t.dataSync()), shape: t.shape.slice() };
  t.dispose();
  return out;
}

expect.extend({
  /**
   * Element-wise |actual - expected| <= atol + rtol * |expected|, with equal shapes.
   * NaN matches NaN; an infinity matches the same infinity.
   */
  toBeAllClose(received: Numeric, expected: Numeric, atolArg?: number, rtolArg?: number) {
    const atol = atolArg ?? 1e-5;
    const rtol = rtolArg ?? 0;
    const a = flatten(received);
    const b = flatten(expected);
    const sameShape =
      a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    if (!sameShape && a.values.length !== b.values.length) {
      return {
        pass: false,
        message: () => `expected shape [${b.shape.join(', ')}], received [${a.shape.join(', ')}]`,
      };
    }
    let worst = -1;
    let worstDiff = 0;
    for (let i = 0; i < a.values.length; i++) {
      const x = a.values[i] ?? Number.NaN;
      const y = b.values[i] ?? Number.NaN;
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (x === y) continue;
      const diff = Math.abs(x - y);
      const limit = atol + rtol * Math.abs(y);
      if (!(diff <= limit) && (worst < 0 || diff > worstDiff || Number.isNaN(diff))) {
        worst = i;
        worstDiff = diff;
      }
    }
    const pass = worst < 0 && sameShape;
    return {
      pass,
      message: () =>
        pass
          ? `expected values not to be close (atol ${atol}, rtol ${rtol})`
          : !sameShape
            ? `expected shape [${b.shape.join(', ')}], received [${a.shape.join(', ')}]`
            : `element ${worst}: received ${a.values[worst]}, expected ${b.values[worst]}, |diff| ${worstDiff} > atol ${atol} + rtol ${rtol}`,
    };
  },
});
