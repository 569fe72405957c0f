/**
 * Keras 3's reductions with a mask on the predictions (an Embedding's `maskZero`, a Masking
 * layer): the mask acts as a sample weight. For the loss (`apply_mask` with the
 * sum_over_batch_size reduction), a kept step weighs total / kept and a padding step 0, and the
 * weighted sum is divided by the number of values: the mean over the kept steps. For a metric
 * (Keras's `Mean` with the mask as weight), the values of the kept steps are summed and counted.
 */
import * as tf from '@tensorflow/tfjs';
import { type Loss, sameRank } from './losses';

/** `values` and the mask as float32 weights, brought to one rank (Keras's squeeze_or_expand_to_same_rank). */
function withWeights(values: tf.Tensor, mask: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return sameRank(values, tf.cast(mask, 'float32'));
}

/** The loss from its unreduced `values` ([samples, timesteps]) and the predictions' mask. */
export function maskedLoss(values: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const [v, kept] = withWeights(values, mask);
    // total / kept per kept step, in float32 as Keras computes it (0 when no step is kept).
    const weight = tf.divNoNan(tf.scalar(kept.size), tf.sum(kept));
    const weighted = tf.mul(v, tf.mul(kept, weight));
    // Keras divides with divide_no_nan, which only matters for an empty batch; tfjs's divNoNan
    // has no gradient (its tf.equal is on the tape).
    return tf.div(tf.sum(weighted), v.size);
  });
}

/** A metric's values summed over the kept steps, and the number of kept steps. */
export function maskedSum(values: tf.Tensor, mask: tf.Tensor): [tf.Scalar, tf.Scalar] {
  return tf.tidy(() => {
    const [v, kept] = withWeights(values, mask);
    return [tf.sum(tf.mul(v, kept)), tf.sum(tf.broadcastTo(kept, v.shape))];
  });
}

/** The loss of a forward pass's output, reduced as Keras reduces it: with its mask, when it has one. */
export function outputLoss(
  loss: Loss,
  y: tf.Tensor,
  result: { output: tf.Tensor; logits?: tf.Tensor; mask?: tf.Tensor },
): tf.Scalar {
  const { output, logits, mask } = result;
  if (mask === undefined) return loss.compute(y, output, logits);
  return tf.tidy(() => maskedLoss(loss.values(y, output, logits), mask));
}
