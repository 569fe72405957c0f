/**
 * Keras's sparse categorical crossentropy on logits, reduced as the optimizer sees it (the mean
 * over every sample, and step of a sequence), as one tfjs op with its gradient written by hand:
 * TensorFlow's sparse_softmax_cross_entropy_with_logits, which Keras's TensorFlow backend runs
 * for a final softmax (on its logits) or on log(clip(p)).
 *
 * As tfjs ops it takes ~45 calls forward and backward for the letters model's batch (logSumExp,
 * oneHot, the picked logit, the mean, and their gradients: reshapes, casts, identities), ~10 us
 * each on the wasm backend and ~50 us on tensorflow; here it is one tensor each way. The
 * per-row operations are float32 operations in TensorFlow's kernel's order: the logits less
 * their maximum, exp, their sum, then log(sum) less the label's shifted logit; the gradient
 * exp / sum less the one-hot label, times the incoming gradient over the row count.
 */
import * as tf from '@tensorflow/tfjs';
import { valuesOf } from '../kernels/wasm/tensors';

const f32 = Math.fround;

/**
 * mean(log(sum(exp(x))) - x[label]) over every row of `logits` [..., classes], differentiable
 * with respect to the logits (the labels are constants). `labels`: int32 class indices of shape
 * `logits.shape` without its last axis, each in [0, classes).
 */
export function sparseSoftmaxCrossEntropyLoss(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  const subject = 'sparseSoftmaxCrossEntropyLoss';
  if (logits.dtype !== 'float32' || labels.dtype !== 'int32') {
    throw new Error(
      `${subject}: expected float32 logits and int32 labels, received ${logits.dtype} and ${labels.dtype}.`,
    );
  }
  const rowShape = logits.shape.slice(0, -1);
  if (logits.rank < 2 || !tf.util.arraysEqual(labels.shape, rowShape)) {
    throw new Error(
      `${subject}: expected logits [..., classes] and labels of their shape without the last axis, received [${logits.shape.join(', ')}] and [${labels.shape.join(', ')}].`,
    );
  }
  const classes = logits.shape.at(-1) ?? 0;
  const rows = labels.size;
  const label = valuesOf(labels);
  for (let r = 0; r < rows; r++) {
    const l = label[r];
    if (!(l >= 0 && l < classes)) {
      throw new Error(
        `${subject}: label ${l} of row ${r} is outside the classes [0, ${classes}) of the logits.`,
      );
    }
  }
  // The labels as numbers of their own: the tensor may be disposed before the gradient runs.
  const picks = Int32Array.from(label);
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input] = args as [tf.Tensor];
    const x = valuesOf(input);
    // exp(x - max) of every row, and each row's sum, kept for the gradient.
    const exps = new Float32Array(x.length);
    const sums = new Float32Array(rows);
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const start = r * classes;
      let max = x[start];
      for (let c = 1; c < classes; c++) max = Math.max(max, x[start + c]);
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        const e = f32(Math.exp(f32(x[start + c] - max)));
        exps[start + c] = e;
        sum = f32(sum + e);
      }
      sums[r] = sum;
      total += f32(f32(Math.log(sum)) - f32(x[start + picks[r]] - max));
    }
    // Porting note: Keras sums the rows' values in float32 (in TensorFlow's reduction order);
    // here the sum is float64 and the mean rounded once to float32, which can differ from
    // Keras's in the last bits. Math.exp and Math.log round to float32 from float64, where
    // TensorFlow's own float32 exp and log can differ from them by an ulp.
    const value = tf.scalar(total / rows, 'float32');
    return {
      value,
      gradFunc: (dy: tf.Tensor): tf.Tensor => {
        // TensorFlow: the mean's gradient dy / rows, times each row's exp / sum - onehot(label).
        const scale = f32(valuesOf(dy)[0] / rows);
        const grad = new Float32Array(exps.length);
        for (let r = 0; r < rows; r++) {
          const start = r * classes;
          const sum = sums[r];
          for (let c = 0; c < classes; c++) {
            const softmax = f32(exps[start + c] / sum);
            grad[start + c] = f32(scale * (c === picks[r] ? f32(softmax - 1) : softmax));
          }
        }
        return tf.tensor(grad, input.shape, 'float32');
      },
    };
  });
  return run(logits) as tf.Scalar;
}
