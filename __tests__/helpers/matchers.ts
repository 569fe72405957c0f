/**
 * Types of the shared matchers registered in setup.ts, for the global `expect` (@types/jest)
 * and for `expect` imported from @jest/globals (whose asymmetric matchers are typed, where
 * @types/jest returns `any`).
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

declare module 'expect' {
  // The type parameters must be those of expect's own declaration to merge with it.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    /** Element-wise |actual - expected| <= atol + rtol * |expected| (default atol 1e-5, rtol 0). */
    toBeAllClose(expected: Numeric, atol?: number, rtol?: number): R;
  }
}
