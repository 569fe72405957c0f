/**
 * The checks the hand-written loss ops share: value and gradient against a float64 reference,
 * and against the tfjs ops of their formula.
 */
import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';

/**
 * Checks 3 * loss(input) and its gradient by `input` (so the gradient flowing into the loss is
 * 3, not 1) against `want` and `wantGrad`, the reference loss and its gradient times 3.
 */
export function expectScaledLossAndGradient(
  loss: (input: tf.Tensor) => tf.Scalar,
  input: tf.Tensor,
  want: number,
  wantGrad: readonly number[],
): void {
  const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => tf.mul(3, loss(x)))(input);
  expect(value.dataSync()[0]).toBeCloseTo(3 * want, 5);
  const got = grad.dataSync();
  wantGrad.forEach((g, i) => {
    expect(got[i]).toBeCloseTo(g, 6);
  });
  expect(grad.shape).toEqual(input.shape);
  tf.dispose([value, grad]);
}

/** Checks that `op` gives the value and gradient by `input` of `ops`, the tfjs ops of its formula. */
export function expectSameLossAndGradient(
  op: (input: tf.Tensor) => tf.Scalar,
  ops: (input: tf.Tensor) => tf.Scalar,
  input: tf.Tensor,
): void {
  const viaOps = tf.valueAndGrad(ops)(input);
  const viaOp = tf.valueAndGrad(op)(input);
  expect(viaOp.value.dataSync()[0]).toBeCloseTo(viaOps.value.dataSync()[0], 6);
  const want = viaOps.grad.dataSync();
  viaOp.grad.dataSync().forEach((g, i) => {
    expect(g).toBeCloseTo(want[i], 7);
  });
  tf.dispose([viaOps.value, viaOps.grad, viaOp.value, viaOp.grad]);
}
