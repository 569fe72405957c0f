/**
 * A sequence's steps in reverse order, as a Bidirectional layer flips its backward direction's
 * output back: `tf.reverse(x, 1)`, whose wasm backend kernel took 12 ms for a [64, 80, 64]
 * sequence (and as much again for its gradient). On that backend the steps are copied in
 * JavaScript straight out of its memory instead (see copyRowsFromWasmBackend: 2.0 ms); elsewhere
 * tf.reverse (0.3 ms on the tensorflow backend). The same values either way: a copy.
 */
import * as tf from '@tensorflow/tfjs';
import { copyRowsFromWasmBackend } from './wasm/tensors';

/** x [batch, steps, ...rest] -> the same with step t at steps - 1 - t. */
function reversed(x: tf.Tensor): tf.Tensor {
  if (x.rank < 2 || tf.getBackend() !== 'wasm') return tf.reverse(x, 1);
  const [batch, steps, ...rest] = x.shape;
  const rows = Int32Array.from({ length: batch * steps }, (_, i) => {
    const t = i % steps;
    return i - t + (steps - 1 - t);
  });
  return tf.tidy(() => {
    const flat = tf.reshape(x, [batch * steps, -1]);
    const copied = copyRowsFromWasmBackend(flat, rows);
    return copied === undefined ? tf.reverse(x, 1) : tf.reshape(copied, [batch, steps, ...rest]);
  });
}

/**
 * `x` [batch, steps, ...] with its steps in reverse order (tf.reverse along axis 1), and its
 * gradient the same reversal.
 */
export function reverseSteps(x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: reversed(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => reversed(dy),
  }));
  return op(x);
}
