/**
 * Seeded random tensors shared by the kernel tests.
 */
import * as tf from '@tensorflow/tfjs';
import { pseudoRandom } from './reference_rnn';

/** Normal values with mean 0 and `stddev`, from `seed`. */
export function normal<R extends tf.Rank>(
  shape: tf.ShapeMap[R],
  stddev: number,
  seed: number,
): tf.Tensor<R> {
  return tf.randomNormal<R>(shape, 0, stddev, 'float32', seed);
}

/** Inverted-dropout mask: 1 / keep with probability keep, else 0. */
export function dropoutMask(shape: [number, number], keep: number, seed: number): tf.Tensor2D {
  return tf.tidy(() =>
    tf.div<tf.Tensor2D>(
      tf.cast(tf.less(tf.randomUniform(shape, 0, 1, 'float32', seed), keep), 'float32'),
      keep,
    ),
  );
}

/** A tensor of `shape` filled with `pseudoRandom(size, seed, scale)` (reference_rnn.ts). */
export function pseudoRandomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(
    pseudoRandom(
      shape.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    shape,
  );
}
