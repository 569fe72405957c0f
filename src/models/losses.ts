/**
 * Keras 3's losses, by Keras name, with Keras's formulas and reduction.
 *
 * A loss first gives one value per sample (and per step, for sequences): the mean (or sum,
 * for the crossentropies and divergences) over the last axis. The value the optimizer sees is
 * the mean of those over the batch and every other axis (Keras's `sum_over_batch_size`), so a
 * per-step loss on `[B, T, C]` predictions is the mean over B * T.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatNames } from '../errors';
import { optionKeys } from '../option_keys';
import { meanSquaredErrorLoss } from './mean_squared_error';
import { sparseSoftmaxCrossEntropyLoss } from './sparse_softmax_cross_entropy';

/** Keras's `backend.epsilon()`: the clipping bound of the crossentropies. */
export const EPSILON = 1e-7;

/** A loss given as a function; Keras reduces whatever it returns to its mean. */
export type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** A loss by name with its options, e.g. `{ name: 'sparse_categorical_crossentropy', fromLogits: true }`. */
export interface LossConfig {
  /** A Keras loss name, in snake_case (`'mse'`, `'binary_crossentropy'`) or camelCase. Required. */
  name: string;
  /** For the crossentropies: the model outputs logits rather than probabilities. Default: false. */
  fromLogits?: boolean;
  /** For `binary_crossentropy` and `categorical_crossentropy`: Keras's `label_smoothing`, in [0, 1]. Default: 0. */
  labelSmoothing?: number;
  /** For `huber`: where the loss turns from quadratic to linear. Default: 1. */
  delta?: number;
}

/** The keys of LossConfig, and the options of Keras's loss classes not implemented yet. */
export const LOSS_CONFIG_OPTIONS = optionKeys<LossConfig>(
  { name: true, fromLogits: true, labelSmoothing: true, delta: true },
  {
    reduction: {
      default: 'sum_over_batch_size',
      hint: 'the loss is the mean over the batch and every other axis; leave it out',
    },
    axis: { default: -1, hint: 'the classes are on the last axis; leave it out' },
    ignoreClass: { hint: 'leave it out' },
    dtype: { default: 'float32', hint: 'losses are computed in float32; leave it out' },
  },
);

/** What `compile({ loss })` accepts: a Keras name, a name with options, or a function. */
export type LossSpec = string | LossConfig | LossFunction;

/**
 * How a loss reads its targets, which decides the checks on `y`:
 * - `elementwise`: `y` has the prediction's shape (a trailing axis of 1 may be missing);
 * - `categorical`: `y` is one-hot (or a distribution) with exactly the prediction's shape;
 * - `sparse`: `y` holds class indices, the prediction's shape without its last axis;
 * - `custom`: a user function; only the sample count is checked.
 */
export type TargetKind = 'elementwise' | 'categorical' | 'sparse' | 'custom';

/** A resolved loss. */
export interface Loss {
  /** The name Keras logs it under when used as a metric: the name given, or the function's name. */
  readonly name: string;
  /** The canonical Keras name (`'mean_squared_error'`), or `'custom'`. */
  readonly kerasName: string;
  /** What targets it takes (see `TargetKind`). */
  readonly targetKind: TargetKind;
  /** Whether the predictions are logits (Keras's `from_logits`). */
  readonly fromLogits: boolean;
  /**
   * The unreduced values: one per sample (and step). `logits`, when given, are the
   * pre-activation of a final sigmoid/softmax layer; the crossentropies then compute from them.
   */
  values(yTrue: tf.Tensor, yPred: tf.Tensor, logits?: tf.Tensor): tf.Tensor;
  /** The loss as Keras reports it: the mean of `values` over every axis. */
  compute(yTrue: tf.Tensor, yPred: tf.Tensor, logits?: tf.Tensor): tf.Scalar;
}

/**
 * Keras's `squeeze_or_expand_to_same_rank`: when the ranks differ by one and the longer has a
 * trailing axis of 1, that axis is dropped (or, against a rank-1 tensor, added to the other).
 */
export function sameRank(yTrue: tf.Tensor, yPred: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (yTrue.rank === yPred.rank + 1 && yTrue.shape.at(-1) === 1) {
    if (yPred.rank === 1) return [yTrue, tf.expandDims(yPred, -1)];
    return [tf.squeeze(yTrue, [-1]), yPred];
  }
  if (yPred.rank === yTrue.rank + 1 && yPred.shape.at(-1) === 1) {
    if (yTrue.rank === 1) return [tf.expandDims(yTrue, -1), yPred];
    return [yTrue, tf.squeeze(yPred, [-1])];
  }
  return [yTrue, yPred];
}

const clipProbs = (p: tf.Tensor): tf.Tensor => tf.clipByValue(p, EPSILON, 1 - EPSILON);

function meanSquaredError(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.mean(tf.square(tf.sub(t, p)), -1);
}

function meanAbsoluteError(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.mean(tf.abs(tf.sub(t, p)), -1);
}

function meanAbsolutePercentageError(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const diff = tf.abs(tf.div(tf.sub(t, p), tf.maximum(tf.abs(t), EPSILON)));
  return tf.mul(100, tf.mean(diff, -1));
}

function meanSquaredLogarithmicError(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const first = tf.log(tf.add(tf.maximum(p, EPSILON), 1));
  const second = tf.log(tf.add(tf.maximum(t, EPSILON), 1));
  return tf.mean(tf.square(tf.sub(first, second)), -1);
}

function huber(delta: number): (t: tf.Tensor, p: tf.Tensor) => tf.Tensor {
  return (t, p) => {
    const error = tf.sub(p, t);
    const absError = tf.abs(error);
    const quadratic = tf.mul(0.5, tf.square(error));
    const linear = tf.sub(tf.mul(delta, absError), 0.5 * delta * delta);
    return tf.mean(tf.where(tf.lessEqual(absError, delta), quadratic, linear), -1);
  };
}

function logCosh(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const x = tf.sub(p, t);
  return tf.mean(tf.sub(tf.add(x, tf.softplus(tf.mul(x, -2))), Math.log(2)), -1);
}

/** Keras turns {0, 1} labels into {-1, 1} for the hinge losses, and leaves other labels alone. */
function hingeLabels(t: tf.Tensor): tf.Tensor {
  const isBinary = tf.all(tf.logicalOr(tf.equal(t, 0), tf.equal(t, 1)));
  return tf.where(tf.broadcastTo(isBinary, t.shape), tf.sub(tf.mul(t, 2), 1), t);
}

function hinge(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.mean(tf.relu(tf.sub(1, tf.mul(hingeLabels(t), p))), -1);
}

function squaredHinge(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.mean(tf.square(tf.relu(tf.sub(1, tf.mul(hingeLabels(t), p)))), -1);
}

function categoricalHinge(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const pos = tf.sum(tf.mul(t, p), -1);
  const neg = tf.max(tf.mul(tf.sub(1, t), p), -1);
  return tf.relu(tf.add(tf.sub(neg, pos), 1));
}

function klDivergence(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const tc = tf.clipByValue(t, EPSILON, 1);
  const pc = tf.clipByValue(p, EPSILON, 1);
  return tf.sum(tf.mul(tc, tf.log(tf.div(tc, pc))), -1);
}

function poisson(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return tf.mean(tf.sub(p, tf.mul(t, tf.log(tf.add(p, EPSILON)))), -1);
}

/** Per element, from probabilities: -(t log p + (1 - t) log(1 - p)), p clipped to [eps, 1 - eps]. */
export function binaryCrossentropyFromProbs(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const pc = clipProbs(p);
  return tf.neg(tf.add(tf.mul(t, tf.log(pc)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, pc)))));
}

/** Per element, TensorFlow's sigmoid_cross_entropy_with_logits: max(x, 0) - x t + log(1 + e^-|x|). */
export function binaryCrossentropyFromLogits(t: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

/** Per sample: the probabilities normalized to sum 1, clipped, then -sum(t log p). */
export function categoricalCrossentropyFromProbs(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const normalized = clipProbs(tf.div(p, tf.sum(p, -1, true)));
  return tf.neg(tf.sum(tf.mul(t, tf.log(normalized)), -1));
}

/** Per sample, TensorFlow's softmax_cross_entropy_with_logits: -sum(t log_softmax(x)). */
export function categoricalCrossentropyFromLogits(t: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(t, tf.logSoftmax(x, -1)), -1));
}

/** Class indices `[...]` (or `[..., 1]`) against `[..., classes]`, as int32 of rank `x.rank - 1`. */
function sparseLabels(t: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const squeezed = t.rank === x.rank && t.shape.at(-1) === 1 ? tf.squeeze(t, [-1]) : t;
  return squeezed.dtype === 'int32' ? squeezed : tf.cast(squeezed, 'int32');
}

/** Per sample, TensorFlow's sparse_softmax_cross_entropy_with_logits: logsumexp(x) - x[label]. */
export function sparseCategoricalCrossentropyFromLogits(t: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const classes = x.shape.at(-1) ?? 1;
  const picked = tf.sum(tf.mul(tf.oneHot(sparseLabels(t, x), classes), x), -1);
  return tf.sub(tf.logSumExp(x, -1), picked);
}

/**
 * Per sample, from probabilities, exactly as Keras's TensorFlow backend: the logits are
 * log(clip(p)), so the value is log(sum(clip(p))) - log(clip(p)[label]).
 */
export function sparseCategoricalCrossentropyFromProbs(t: tf.Tensor, p: tf.Tensor): tf.Tensor {
  return sparseCategoricalCrossentropyFromLogits(t, tf.log(clipProbs(p)));
}

/** How one Keras loss computes its unreduced values. */
interface LossDefinition {
  targetKind: TargetKind;
  /** Which crossentropy this is; those can compute from logits. */
  crossentropy?: 'binary' | 'categorical' | 'sparse';
  make(config: LossConfig): (t: tf.Tensor, p: tf.Tensor) => tf.Tensor;
}

const simple =
  (fn: (t: tf.Tensor, p: tf.Tensor) => tf.Tensor, targetKind: TargetKind = 'elementwise') =>
  (): LossDefinition => ({ targetKind, make: () => fn });

/** Keras's loss functions by canonical snake_case name. */
const DEFINITIONS: Readonly<Partial<Record<string, () => LossDefinition>>> = {
  mean_squared_error: simple(meanSquaredError),
  mean_absolute_error: simple(meanAbsoluteError),
  mean_absolute_percentage_error: simple(meanAbsolutePercentageError),
  mean_squared_logarithmic_error: simple(meanSquaredLogarithmicError),
  huber: () => ({ targetKind: 'elementwise', make: (c) => huber(c.delta ?? 1) }),
  log_cosh: simple(logCosh),
  hinge: simple(hinge),
  squared_hinge: simple(squaredHinge),
  categorical_hinge: simple(categoricalHinge, 'categorical'),
  kl_divergence: simple(klDivergence, 'categorical'),
  poisson: simple(poisson),
  binary_crossentropy: () => ({
    targetKind: 'elementwise',
    crossentropy: 'binary',
    make: (c) => binaryCrossentropy(c.fromLogits ?? false, c.labelSmoothing ?? 0),
  }),
  categorical_crossentropy: () => ({
    targetKind: 'categorical',
    crossentropy: 'categorical',
    make: (c) => categoricalCrossentropy(c.fromLogits ?? false, c.labelSmoothing ?? 0),
  }),
  sparse_categorical_crossentropy: () => ({
    targetKind: 'sparse',
    crossentropy: 'sparse',
    make: (c) =>
      c.fromLogits === true
        ? sparseCategoricalCrossentropyFromLogits
        : sparseCategoricalCrossentropyFromProbs,
  }),
};

function binaryCrossentropy(
  fromLogits: boolean,
  labelSmoothing: number,
): (t: tf.Tensor, p: tf.Tensor) => tf.Tensor {
  return (t, p) => {
    const target =
      labelSmoothing > 0 ? tf.add(tf.mul(t, 1 - labelSmoothing), 0.5 * labelSmoothing) : t;
    const perElement = fromLogits
      ? binaryCrossentropyFromLogits(target, p)
      : binaryCrossentropyFromProbs(target, p);
    return tf.mean(perElement, -1);
  };
}

function categoricalCrossentropy(
  fromLogits: boolean,
  labelSmoothing: number,
): (t: tf.Tensor, p: tf.Tensor) => tf.Tensor {
  return (t, p) => {
    const classes = p.shape.at(-1) ?? 1;
    const target =
      labelSmoothing > 0 ? tf.add(tf.mul(t, 1 - labelSmoothing), labelSmoothing / classes) : t;
    return fromLogits
      ? categoricalCrossentropyFromLogits(target, p)
      : categoricalCrossentropyFromProbs(target, p);
  };
}

/** Keras's short aliases. */
const ALIASES: Readonly<Record<string, string>> = {
  mse: 'mean_squared_error',
  mae: 'mean_absolute_error',
  mape: 'mean_absolute_percentage_error',
  msle: 'mean_squared_logarithmic_error',
  kld: 'kl_divergence',
  bce: 'binary_crossentropy',
};

/** The loss names `compile` accepts (each also in camelCase and PascalCase). */
export const LOSS_NAMES: readonly string[] = [...Object.keys(DEFINITIONS), ...Object.keys(ALIASES)];

/** `MeanSquaredError`, `meanSquaredError`, `mean_squared_error` -> `meansquarederror`. */
function nameKey(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

const BY_KEY = new Map<string, string>([
  ...Object.keys(DEFINITIONS).map((n): [string, string] => [nameKey(n), n]),
  ...Object.entries(ALIASES).map(([alias, n]): [string, string] => [nameKey(alias), n]),
]);

/** The canonical Keras loss name for `name`, or undefined when it is not a loss name. */
export function canonicalLossName(name: string): string | undefined {
  return BY_KEY.get(nameKey(name));
}

function unknownLoss(subject: string, received: unknown): ValueError {
  return new ValueError(
    `${subject}: unknown loss ${JSON.stringify(received)}. Known losses: ${formatNames(LOSS_NAMES)} (also in camelCase), or a function (yTrue, yPred) => tf.Tensor.`,
  );
}

function checkConfig(subject: string, config: LossConfig, canonical: string): void {
  const { labelSmoothing, delta, fromLogits } = config;
  if (fromLogits !== undefined && typeof fromLogits !== 'boolean') {
    throw new ValueError(
      `${subject}: expected \`fromLogits\` to be a boolean, received ${JSON.stringify(fromLogits)}.`,
    );
  }
  if (
    labelSmoothing !== undefined &&
    (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1))
  ) {
    throw new ValueError(
      `${subject}: expected \`labelSmoothing\` to be a number in [0, 1], received ${JSON.stringify(labelSmoothing)}.`,
    );
  }
  if (delta !== undefined && (typeof delta !== 'number' || !(delta > 0))) {
    throw new ValueError(
      `${subject}: expected \`delta\` to be a positive number, received ${JSON.stringify(delta)}.`,
    );
  }
  const def = DEFINITIONS[canonical]?.();
  if (fromLogits === true && def?.crossentropy === undefined) {
    throw new ValueError(
      `${subject}: \`fromLogits\` applies to the crossentropy losses only, received it for '${canonical}'.`,
    );
  }
}

function reduce(values: tf.Tensor): tf.Scalar {
  return tf.mean(values);
}

/**
 * Resolves a loss given by Keras name, by `{ name, fromLogits, ... }`, or as a function.
 * Throws a ValueError listing the known names for an unknown one.
 */
export function getLoss(spec: LossSpec, subject = 'compile'): Loss {
  if (typeof spec === 'function') {
    const name = spec.name === '' ? 'custom_loss' : spec.name;
    return {
      name,
      kerasName: 'custom',
      targetKind: 'custom',
      fromLogits: false,
      values: (t, p) => spec(t, p),
      compute: (t, p) => tf.tidy(() => reduce(spec(t, p))),
    };
  }
  const config: LossConfig = typeof spec === 'string' ? { name: spec } : spec;
  if (typeof config !== 'object' || typeof config.name !== 'string')
    throw unknownLoss(subject, spec);
  LOSS_CONFIG_OPTIONS.check(`${subject} (loss)`, config);
  const canonical = canonicalLossName(config.name);
  const definition = canonical === undefined ? undefined : DEFINITIONS[canonical];
  if (canonical === undefined || definition === undefined) throw unknownLoss(subject, config.name);
  checkConfig(subject, config, canonical);
  const def = definition();
  const formula = def.make(config);
  // Keras's TensorFlow backend computes a crossentropy from the logits of a final sigmoid or
  // softmax whenever it can reach them (`_get_logits`), whatever `from_logits` says.
  const onLogits =
    def.crossentropy === undefined ? formula : def.make({ ...config, fromLogits: true });
  const fromLogits = config.fromLogits ?? false;
  const values = (t: tf.Tensor, p: tf.Tensor, logits?: tf.Tensor): tf.Tensor => {
    const useLogits = logits !== undefined && def.crossentropy !== undefined;
    const pred = useLogits ? logits : p;
    const fn = useLogits ? onLogits : formula;
    if (def.crossentropy === 'sparse') return fn(t, pred);
    const [yt, yp] = sameRank(t.dtype === pred.dtype ? t : tf.cast(t, pred.dtype), pred);
    return fn(yt, yp);
  };
  const compute = (t: tf.Tensor, p: tf.Tensor, logits?: tf.Tensor): tf.Scalar => {
    if (canonical === 'mean_squared_error' && p.dtype === 'float32') {
      const [yt, yp] = sameRank(t.dtype === p.dtype ? t : tf.cast(t, p.dtype), p);
      if (tf.util.arraysEqual(yt.shape, yp.shape)) return meanSquaredErrorLoss(yt, yp);
    }
    if (def.crossentropy === 'sparse' && p.dtype === 'float32' && p.rank >= 2) {
      // The logits the tfjs ops would take (see `values`), through one op.
      const x = logits ?? (fromLogits ? p : tf.log(clipProbs(p)));
      const labels = sparseLabels(t, x);
      if (tf.util.arraysEqual(labels.shape, x.shape.slice(0, -1))) {
        return sparseSoftmaxCrossEntropyLoss(labels, x);
      }
    }
    return reduce(values(t, p, logits));
  };
  return {
    name: config.name,
    kerasName: canonical,
    targetKind: def.targetKind,
    fromLogits,
    values,
    compute: (t, p, logits) => tf.tidy(() => compute(t, p, logits)),
  };
}
