/**
 * Keras 3's compile metrics by name. Every metric here is a mean: its per-sample (or
 * per-element) values are summed over the epoch and divided by their count, as Keras's
 * `MeanMetricWrapper` does, which weights each batch by its size.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatNames } from '../errors';
import { valuesOf } from '../kernels/wasm/tensors';
import {
  type Loss,
  type LossFunction,
  LOSS_NAMES,
  canonicalLossName,
  getLoss,
  sameRank,
} from './losses';

/** What `compile({ metrics })` accepts: a Keras name or a function `(yTrue, yPred) => values`. */
export type MetricSpec = string | LossFunction;

/** A resolved metric. */
export interface Metric {
  /** The key in logs and history: the name as given (`'acc'`, `'mae'`), or the function's name. */
  readonly name: string;
  /** The values whose mean is the metric; `logits` as in `Loss.values`. */
  values(yTrue: tf.Tensor, yPred: tf.Tensor, logits?: tf.Tensor): tf.Tensor;
  /** Maps the mean of the values to the reported number (square root for RMSE). Default: identity. */
  finalize?: (mean: number) => number;
  /** The loss whose target checks apply to `y`, when the metric is a loss. */
  readonly loss?: Loss;
  /** Whether `y` must hold class indices (sparse accuracy). */
  readonly sparseTargets?: boolean;
}

/** Keras's binary_accuracy: per element, (p > 0.5) == t. */
function binaryAccuracy(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const [yt, yp] = sameRank(t, p);
  const predicted = tf.cast(tf.greater(yp, 0.5), 'float32');
  return tf.cast(tf.equal(tf.cast(yt, 'float32'), predicted), 'float32');
}

/** Keras's categorical_accuracy: per sample, argmax(t) == argmax(p). */
function categoricalAccuracy(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.cast(tf.equal(tf.argMax(t, -1), tf.argMax(p, -1)), 'float32');
}

/**
 * Keras's sparse_categorical_accuracy: per sample, t == argmax(p), the label cast to an integer
 * and the first of equal maxima taken, as tf.argMax does. Computed on the values: as tfjs ops
 * it is four calls a batch (~50 us each on the tensorflow backend).
 */
function sparseCategoricalAccuracy(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const labels = t.rank === p.rank && t.shape.at(-1) === 1 ? tf.squeeze(t, [-1]) : t;
  const classes = p.shape.at(-1) ?? 1;
  if (!tf.util.arraysEqual(labels.shape, p.shape.slice(0, -1))) {
    return tf.cast(tf.equal(tf.cast(labels, 'int32'), tf.argMax(p, -1)), 'float32');
  }
  // The labels first: the predictions may be a view that the next tfjs call moves.
  const label = Array.from(labels.dataSync(), Math.trunc);
  const probs = valuesOf(p);
  const hits = new Float32Array(label.length);
  for (let r = 0; r < label.length; r++) {
    const start = r * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[start + c] > probs[start + best]) best = c;
    hits[r] = label[r] === best ? 1 : 0;
  }
  return tf.tensor(hits, labels.shape, 'float32');
}

/** Keras's RootMeanSquaredError: sqrt of the mean squared error over every element. */
function squaredError(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const [yt, yp] = sameRank(tf.cast(t, 'float32'), p);
  return tf.square(tf.sub(yt, yp));
}

const ACCURACY_FUNCTIONS: Readonly<Partial<Record<string, LossFunction>>> = {
  binary_accuracy: binaryAccuracy,
  categorical_accuracy: categoricalAccuracy,
  sparse_categorical_accuracy: sparseCategoricalAccuracy,
};

/** The metric names `compile` accepts besides the loss names (each also in camelCase). */
export const METRIC_NAMES: readonly string[] = [
  'accuracy',
  'acc',
  ...Object.keys(ACCURACY_FUNCTIONS),
  'root_mean_squared_error',
  ...LOSS_NAMES,
];

function nameKey(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

/**
 * Keras's choice for `'accuracy'`: binary when the prediction has one value on its last axis,
 * sparse when `y` has a lower rank than the prediction (or a last axis of 1 against several
 * classes), categorical otherwise.
 */
export function accuracyKind(
  yShape: readonly number[],
  predShape: readonly (number | null)[],
): 'binary_accuracy' | 'sparse_categorical_accuracy' | 'categorical_accuracy' {
  const predLast = predShape.at(-1);
  if (predLast === 1) return 'binary_accuracy';
  const sparse =
    yShape.length < predShape.length || (yShape.at(-1) === 1 && predLast != null && predLast > 1);
  return sparse ? 'sparse_categorical_accuracy' : 'categorical_accuracy';
}

/** Throws unless every metric spec is a known name or a function, before any data is seen. */
export function checkMetricSpecs(subject: string, specs: readonly MetricSpec[]): void {
  for (const spec of specs) {
    if (typeof spec === 'function') continue;
    if (typeof spec !== 'string' || !isKnownMetricName(spec)) {
      throw new ValueError(
        `${subject}: unknown metric ${JSON.stringify(spec)}. Known metrics: ${formatNames(METRIC_NAMES)} (also in camelCase), or a function (yTrue, yPred) => tf.Tensor.`,
      );
    }
  }
}

function isKnownMetricName(name: string): boolean {
  const key = nameKey(name);
  return (
    key === 'accuracy' ||
    key === 'acc' ||
    key === 'rootmeansquarederror' ||
    Object.keys(ACCURACY_FUNCTIONS).some((n) => nameKey(n) === key) ||
    canonicalLossName(name) !== undefined
  );
}

/**
 * Resolves one metric against the shapes of `y` and of the model's prediction (needed to
 * choose the accuracy, as Keras does on the first batch).
 */
export function getMetric(
  spec: MetricSpec,
  yShape: readonly number[],
  predShape: readonly (number | null)[],
): Metric {
  if (typeof spec === 'function') {
    return { name: spec.name === '' ? 'custom_metric' : spec.name, values: (t, p) => spec(t, p) };
  }
  checkMetricSpecs('compile', [spec]);
  const key = nameKey(spec);
  const accuracyName =
    key === 'accuracy' || key === 'acc'
      ? accuracyKind(yShape, predShape)
      : Object.keys(ACCURACY_FUNCTIONS).find((n) => nameKey(n) === key);
  if (accuracyName !== undefined) {
    const fn = ACCURACY_FUNCTIONS[accuracyName];
    if (fn === undefined) throw new Error(`metrics: no function for '${accuracyName}'.`);
    return {
      name: spec,
      values: (t, p) => fn(t, p),
      sparseTargets: accuracyName === 'sparse_categorical_accuracy',
    };
  }
  if (key === 'rootmeansquarederror') {
    return { name: spec, values: squaredError, finalize: Math.sqrt };
  }
  const loss = getLoss(spec);
  return { name: spec, values: (t, p, logits) => loss.values(t, p, logits), loss };
}
