/**
 * Types of the shared matchers registered in setup.ts.
 */
import type * as tf from '@tensorflow/tfjs';

/** What `toBeAllClose` compares: a tensor, a number, nested number arrays or a typed array. */
export type Numeric =
  tf.Tensor | number | number[] | number[][] | number[][][] | Float32Array | Int32Array;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- @types/jest declares its matchers in this namespace
  namespace jest {
    interface Matchers<R> {
      /** Element-wise |actual - expected| <= atol + rtol * |expected| (default atol 1e-5, rtol 0). */
      toBeAllClose(expected: Numeric, atol?: number, rtol?: number): R;
    }
  }
}
