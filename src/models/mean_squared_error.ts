/**
 * Keras's mean squared error reduced as the optimizer sees it (the mean over every element:
 * `sum_over_batch_size` of the per-sample means over the last axis), as one tfjs op with its
 * gradient written by hand.
 *
 * As tfjs ops it takes about a dozen calls forward and backward (sub, square, two means, and
 * their gradients), ~10-40 us each on the wasm and tensorflow backends for a stock batch's 64
 * values; here it is one tensor each way. The differences and squares are float32 operations
 * as TensorFlow's; the gradient's float32 operations follow TensorFlow's gradients of Keras's
 * ops, in their order.
 */
import * as tf from '@tensorflow/tfjs';
import { valuesOf } from '../kernels/wasm/tensors';

const f32 = Math.fround;

/**
 * mean((yTrue - yPred)²) over every element, differentiable with respect to yPred (yTrue is a
 * constant: the labels). Both float32 and of one shape.
 */
export function meanSquaredErrorLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  if (!tf.util.arraysEqual(yTrue.shape, yPred.shape)) {
    throw new Error(
      `meanSquaredErrorLoss: yTrue and yPred differ in shape: [${yTrue.shape.join(', ')}] and [${yPred.shape.join(', ')}].`,
    );
  }
  if (yTrue.dtype !== 'float32' || yPred.dtype !== 'float32') {
    throw new Error(
      `meanSquaredErrorLoss: expected float32 tensors, received ${yTrue.dtype} and ${yPred.dtype}.`,
    );
  }
  const perSample = yPred.shape.at(-1) ?? 1;
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [pred] = args as [tf.Tensor];
    // t - p, kept for the gradient (yTrue may be disposed by then).
    const diff = new Float32Array(pred.size);
    const value = tf.scalar(squaredErrorMean(valuesOf(yTrue), valuesOf(pred), diff), 'float32');
    return {
      value,
      gradFunc: (dy: tf.Tensor): tf.Tensor => {
        const grad = new Float32Array(diff.length);
        squaredErrorGradient(diff, valuesOf(dy)[0], perSample, grad);
        return tf.tensor(grad, pred.shape, 'float32');
      },
    };
  });
  return run(yPred) as tf.Scalar;
}

/**
 * The mean of (t - p)² over every element, as a float32 value; writes each float32 t - p into
 * `diff`, for `squaredErrorGradient`.
 */
export function squaredErrorMean(
  t: ArrayLike<number>,
  p: ArrayLike<number>,
  diff: Float32Array,
): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const d = f32(t[i] - p[i]);
    diff[i] = d;
    sum += f32(d * d);
  }
  // Porting note: Keras sums the squares in float32 (in TensorFlow's reduction order); here
  // the sum is float64 and the mean rounded once to float32, which can differ from Keras's in
  // the last bits.
  return f32(sum / p.length);
}

/**
 * The gradient of that mean by p, times `dy`, into `grad`, from `diff` of samples of
 * `perSample` values (the last axis).
 */
export function squaredErrorGradient(
  diff: Float32Array,
  dy: number,
  perSample: number,
  grad: Float32Array,
): void {
  // Keras: sum(mean(square(t - p), -1)) / samples. TensorFlow's gradients: dy / samples,
  // then / the last axis, then times 2 (t - p) (Square's gradient), negated (Sub's).
  const samples = diff.length / perSample;
  const perElement = f32(f32(dy / samples) / perSample);
  for (let i = 0; i < diff.length; i++) grad[i] = -f32(perElement * f32(2 * diff[i]));
}
