/**
 * Reading and writing a model's weights as a list of tensors, in Keras's order.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../errors';

function isTensor(v: unknown): v is tf.Tensor {
  return v instanceof tf.Tensor;
}

/** The number of values in these weights. */
export function countValues(weights: readonly tf.LayerVariable[]): number {
  return weights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);
}

/**
 * Writes `values` into `weights`, in order, after checking the count and every shape, so that
 * a bad list changes nothing. int32 values are cast to float32.
 */
export function writeWeights(
  subject: string,
  weights: readonly tf.LayerVariable[],
  values: unknown,
  shapeHint: (weight: tf.LayerVariable, shape: readonly number[]) => string | undefined = () =>
    undefined,
): void {
  const expected = weights.map((w) => `${w.originalName} ${formatShape(w.shape)}`).join(', ');
  if (!Array.isArray(values) || values.length !== weights.length) {
    throw new ValueError(
      `${subject}: expected ${weights.length} tensors (${expected}), received ${Array.isArray(values) ? values.length : typeof values}.`,
    );
  }
  const given: unknown[] = values;
  const tensors = weights.map((w, i) => {
    const v = given[i];
    if (!isTensor(v) || v.shape.join(',') !== w.shape.join(',')) {
      const received = isTensor(v) ? `shape ${formatShape(v.shape)}` : typeof v;
      const hint = isTensor(v) ? shapeHint(w, v.shape) : undefined;
      throw new ValueError(
        `${subject}: expected weight ${i} (${w.originalName}) of shape ${formatShape(w.shape)}, received ${received}.${hint === undefined ? '' : ` ${hint}`}`,
      );
    }
    return v;
  });
  tf.tidy(() => {
    tensors.forEach((v, i) => weights[i]?.write(v.dtype === 'float32' ? v : tf.cast(v, 'float32')));
  });
}
