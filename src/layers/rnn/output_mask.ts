/**
 * What a recurrent layer outputs at padding steps, as Keras's TensorFlow backend does it: with
 * `zeroOutputForMask`, zeros; without, the output of the step before (the carried state, which
 * the kernels already give). Pure tensor functions on the kernels' step masks (1: data,
 * 0: padding).
 */
import * as tf from '@tensorflow/tfjs';

/** A step mask [samples, timesteps] in the order a layer reads its input: reversed with goBackwards. */
export function processingOrder(stepMask: tf.Tensor2D, goBackwards: boolean): tf.Tensor2D {
  return goBackwards ? tf.reverse(stepMask, 1) : stepMask;
}

/**
 * `zeroOutputForMask` as a factor of a layer's output sequence [samples, timesteps, units]
 * (processing order): the mask in that order, [samples, timesteps, 1].
 */
export function sequenceOutputMask(stepMask: tf.Tensor2D, goBackwards: boolean): tf.Tensor3D {
  return tf.expandDims<tf.Tensor3D>(processingOrder(stepMask, goBackwards), 2);
}

/**
 * `zeroOutputForMask` on a layer's last output [samples, units]: zeros for a sample whose last
 * processed step is padding (the last step, or the first with goBackwards), as Keras's last
 * output is the output of the final step.
 */
export function maskLastOutput(
  output: tf.Tensor,
  stepMask: tf.Tensor2D,
  goBackwards: boolean,
): tf.Tensor {
  const [samples, steps] = stepMask.shape;
  const last = tf.slice(stepMask, [0, goBackwards ? 0 : steps - 1], [samples, 1]);
  return tf.mul(output, last);
}
