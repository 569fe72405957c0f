/**
 * One batch's step, apart from the loops that run it (training.ts): the loss and metric
 * statistics of a batch (batchStats, which evaluation reads too), and the training step, which
 * applies the optimizer and can take each variable's gradient norm before clipping, packed with
 * the statistics so that a batch is one download; gradientNorms reads the norms back.
 */
import * as tf from '@tensorflow/tfjs';
import { Gradient } from '../optimizers/gradient';
import { disposeIndexedSlices, recordIndexedSlices } from '../optimizers/indexed_slices';
import { isKerasOptimizer } from '../optimizers/optimizer';
import type { Loss } from './losses';
import { maskedSum, outputLoss } from './masked_reduction';
import type { Metric } from './metrics';
import type { ForwardResult, GradientNorms, LoopModel } from './training';

/**
 * Loss and metric statistics of one batch: [loss, each metric's sum, each metric's count]. With
 * a mask, Keras's: the loss weighted by it (see maskedLoss), each metric's values summed over
 * the steps it keeps and counted by them.
 */
export function batchStats(
  loss: Loss,
  metrics: readonly Metric[],
  y: tf.Tensor,
  result: ForwardResult,
): tf.Tensor[] {
  const { output, logits, mask } = result;
  const stats: tf.Tensor[] = [outputLoss(loss, y, result)];
  const counts: tf.Tensor[] = [];
  for (const m of metrics) {
    const values = m.values(y, output, logits);
    const [sum, count] =
      mask === undefined ? [tf.sum(values), tf.scalar(values.size)] : maskedSum(values, mask);
    stats.push(sum);
    counts.push(count);
  }
  return [...stats, ...counts];
}

/**
 * One optimizer step in training mode; returns the batch's stats (see batchStats), then, with
 * `norms`, each trainable variable's squared gradient norm before clipping, in
 * `trainableVariables()` order: read with the stats, one download a batch.
 */
export function trainStep(
  model: LoopModel,
  optimizer: tf.Optimizer,
  loss: Loss,
  metrics: readonly Metric[],
  x: tf.Tensor,
  y: tf.Tensor,
  norms: boolean,
): tf.Tensor1D {
  return tf.tidy(() => {
    const variables = model.trainableVariables();
    let kept: tf.Tensor[] = [];
    // tfjs's variableGrads (an optimizer's computeGradients), recording an Embedding's
    // per-lookup rows (Keras's IndexedSlices) for Keras's optimizers and for the norms.
    const { result, slices } = recordIndexedSlices(() =>
      tf.variableGrads(() => {
        const forward = model.forward(x, true, true);
        const [lossValue, ...metricSums] = batchStats(loss, metrics, y, forward);
        kept = metricSums.map((t) => tf.keep(t));
        return lossValue as tf.Scalar;
      }, variables),
    );
    try {
      // tfjs optimizers keep their slots by position in this map: give every variable a gradient.
      const ordered: tf.NamedTensorMap = {};
      for (const v of variables) ordered[v.name] = result.grads[v.name] ?? tf.zerosLike(v);
      // Keras's norm of a gradient (clip_by_norm, global_norm), over an Embedding's rows.
      const squared = norms
        ? variables.map((v) => {
            const rows = slices.get(v.name);
            const gradient =
              rows === undefined
                ? Gradient.dense(ordered[v.name])
                : Gradient.rows(rows, v.shape[0] ?? 0);
            return gradient.sumOfSquares();
          })
        : [];
      if (isKerasOptimizer(optimizer)) optimizer.applyGradients(ordered, slices);
      else optimizer.applyGradients(ordered);
      return tf.stack([result.value, ...kept, ...squared]) as tf.Tensor1D;
    } finally {
      for (const t of kept) t.dispose();
      disposeIndexedSlices(slices);
    }
  });
}

/** The norms of the squared norms that end `stats` (see trainStep), one per variable. */
export function gradientNorms(
  variables: readonly tf.Variable[],
  stats: ArrayLike<number>,
): GradientNorms {
  const start = stats.length - variables.length;
  const norms: Record<string, number> = {};
  let sum = 0;
  variables.forEach((v, i) => {
    const squared = stats[start + i] ?? 0;
    sum += squared;
    norms[v.name] = Math.sqrt(squared);
  });
  return { global: Math.sqrt(sum), variables: norms };
}
