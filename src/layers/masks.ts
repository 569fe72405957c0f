/**
 * Keras's masks: which steps of a sequence are data and which are padding. Embedding
 * (`maskZero`) and Masking make one; Dense and Dropout pass it on; a recurrent layer consumes it
 * and passes it on only with `returnSequences`. A mask is a boolean tensor of the input's shape
 * without its last axis, [samples, timesteps] for a sequence: true where the step is data.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../errors';
import type { Kwargs } from './layer_args';

/**
 * `computeMask`'s answer when the output has no mask: null, as tfjs's own layers and its graph
 * executor use it, although tfjs's type for the method says a tensor.
 */
export const NO_MASK = null as unknown as tf.Tensor;

/** The mask a layer's call received (tfjs passes `mask` in the call's keyword arguments). */
export function callMask(subject: string, kwargs: Kwargs, x: tf.Tensor): tf.Tensor | undefined {
  const given: unknown = kwargs.mask;
  const mask = Array.isArray(given) ? (given.at(0) as unknown) : given;
  if (mask === undefined || mask === null) return undefined;
  if (!(mask instanceof tf.Tensor)) {
    throw new ValueError(
      `${subject}: expected the mask to be a tensor of shape ${formatShape(x.shape.slice(0, -1))} (true where a step is data), received ${typeof mask}.`,
    );
  }
  const tensor: tf.Tensor = mask as tf.Tensor;
  checkMaskShape(subject, tensor, x.shape);
  return tensor;
}

/** Refuses a mask whose shape is not the input's without its last axis. */
export function checkMaskShape(
  subject: string,
  mask: tf.Tensor,
  inputShape: readonly number[],
): void {
  const expected = inputShape.slice(0, -1);
  if (!tf.util.arraysEqual(mask.shape, expected)) {
    throw new ValueError(
      `${subject}: expected a mask of shape ${formatShape(expected)} (the input's shape ${formatShape(inputShape)} without its last axis), received ${formatShape(mask.shape)}.`,
    );
  }
}

/** A mask as the kernels take it: float32, 1 where the step is data and 0 where it is padding. */
export function stepMaskOf(mask: tf.Tensor): tf.Tensor2D {
  return (mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32')) as tf.Tensor2D;
}

/** The first mask of a `computeMask` argument (tfjs's executor passes a list). */
export function firstMask(mask: tf.Tensor | tf.Tensor[] | undefined | null): tf.Tensor | null {
  if (mask === undefined || mask === null) return null;
  if (!Array.isArray(mask)) return mask;
  return mask.at(0) ?? null;
}
