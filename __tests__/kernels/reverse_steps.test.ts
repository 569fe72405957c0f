/**
 * reverseSteps, the reversal of a Bidirectional layer's backward output: the values of
 * tf.reverse along the steps and the same gradient, bit for bit, on every backend (a copy out of
 * the wasm backend's memory there), without leaking tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { reverseSteps } from '../../src/kernels/reverse_steps';
import { pseudoRandomTensor as tensor } from '../helpers/random_tensors';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

describe('reverseSteps', () => {
  it.each([[[3, 5, 4]], [[2, 1, 3]], [[4, 6, 2, 3]]])(
    'is tf.reverse(x, 1), value and gradient (shape %j)',
    async (shape) => {
      const x = tensor(shape, 5);
      const weights = tensor(shape, 6);
      const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) =>
        tf.sum(tf.mul(f(t), weights));
      const ours = tf.tidy(() => reverseSteps(x).dataSync());
      expect(ours).toEqual(tf.tidy(() => tf.reverse(x, 1).dataSync()));
      const grad = tf.tidy(() => tf.grad(loss(reverseSteps))(x).dataSync());
      expect(grad).toEqual(
        tf.tidy(() =>
          tf
            .grad(loss((t) => tf.reverse(t, 1)))(x)
            .dataSync(),
        ),
      );
      await expectNoLeak(() => {
        tf.tidy(() => {
          tf.grad(loss(reverseSteps))(x);
        });
      });
      tf.dispose([x, weights]);
    },
  );
});
