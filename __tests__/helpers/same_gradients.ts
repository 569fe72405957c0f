/**
 * Two implementations of one function compared by value and by the gradient of every input:
 * a kernel with back-propagation written by hand against one that tfjs differentiates.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from '@jest/globals';
import { expectNoLeak } from './tensors';

/** A scalar function of the inputs. */
export type ScalarFunction = (...inputs: tf.Tensor[]) => tf.Scalar;

/** Expects `a` and `b` to give the same value and the same gradients of `inputs` (to `atol`), leaking nothing. */
export async function expectSameValueAndGradients(
  a: ScalarFunction,
  b: ScalarFunction,
  inputs: tf.Tensor[],
  atol: number,
): Promise<void> {
  await expectNoLeak(() => {
    const [valueA, valueB] = tf.tidy(() => [a(...inputs), b(...inputs)]);
    expect(valueA).toBeAllClose(valueB, atol);
    tf.dispose([valueA, valueB]);
    const gradsA = tf.grads(a)(inputs);
    const gradsB = tf.grads(b)(inputs);
    gradsA.forEach((g, i) => {
      expect(g).toBeAllClose(gradsB[i] ?? tf.scalar(Number.NaN), atol);
    });
    tf.dispose([...gradsA, ...gradsB]);
  });
}
