/**
 * `compile({ optimizer, loss, metrics })`: Keras names -> tfjs optimizers with Keras's defaults,
 * Keras losses and metrics.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatNames } from '../errors';
import { type Loss, type LossSpec, getLoss } from './losses';
import { type MetricSpec, checkMetricSpecs } from './metrics';

/** The optimizer names `compile` accepts (case-insensitive). */
export const OPTIMIZER_NAMES = ['adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** An optimizer by name with its learning rate, e.g. `{ name: 'adam', learningRate: 0.01 }`. */
export interface OptimizerConfig {
  /** One of `OPTIMIZER_NAMES`, case-insensitive. Required. */
  name: string;
  /** The step size. Default: Keras's for that optimizer (0.01 for SGD, 0.001 for the others). */
  learningRate?: number;
}

/** What `compile({ optimizer })` accepts: a Keras name, a name with a learning rate, or any tfjs optimizer. */
export type OptimizerSpec = string | OptimizerConfig | tf.Optimizer;

/** Options of `compile`. */
export interface CompileArgs {
  /** The optimizer: `'adam'`, `'sgd'`, `'rmsprop'`, `'adagrad'`, `'adadelta'`, `'adamax'`, `{ name, learningRate }`, or a `tf.Optimizer`. Default: 'rmsprop' (as Keras). */
  optimizer?: OptimizerSpec;
  /** The loss: a Keras name (`'mse'`, `'sparse_categorical_crossentropy'`, camelCase too), `{ name, fromLogits, ... }`, or a function `(yTrue, yPred) => tf.Tensor` whose mean is the loss. Required. */
  loss: LossSpec;
  /** Metrics reported in logs and history: `'accuracy'`, `'mae'`, `'mse'`, any loss name, or functions. Default: none. */
  metrics?: MetricSpec[];
}

/** `compile`'s arguments, resolved. */
export interface CompiledState {
  optimizer: tf.Optimizer;
  /** The Keras class name of the optimizer (`'Adam'`), or tfjs's class name for an instance. */
  optimizerClass: string;
  loss: Loss;
  metrics: MetricSpec[];
}

function checkLearningRate(subject: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValueError(
      `${subject}: expected \`learningRate\` to be a positive number, received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function unknownOptimizer(subject: string, received: unknown): ValueError {
  return new ValueError(
    `${subject}: unknown optimizer ${JSON.stringify(received)}. Known optimizers: ${formatNames(OPTIMIZER_NAMES)} (case-insensitive), { name, learningRate }, or a tf.Optimizer instance.`,
  );
}

/**
 * Every optimizer this package builds is built here, so that a later switch to Keras's exact
 * update rules (src/optimizers/) replaces this one function.
 *
 * Hyperparameters are Keras 3's defaults, passed explicitly because tfjs's differ.
 */
export function makeOptimizer(
  spec: OptimizerSpec,
  subject = 'compile',
): { optimizer: tf.Optimizer; optimizerClass: string } {
  if (spec instanceof tf.Optimizer) return { optimizer: spec, optimizerClass: spec.getClassName() };
  const config: OptimizerConfig = typeof spec === 'string' ? { name: spec } : spec;
  if (typeof config !== 'object' || typeof config.name !== 'string') {
    throw unknownOptimizer(subject, spec);
  }
  const name = config.name.toLowerCase();
  const lr = checkLearningRate(subject, config.learningRate);
  switch (name as OptimizerName) {
    case 'sgd':
      return { optimizer: tf.train.sgd(lr ?? 0.01), optimizerClass: 'SGD' };
    case 'adam':
      // Porting note: tfjs adds epsilon to the bias-corrected sqrt(v_hat); Keras computes
      // alpha = lr * sqrt(1 - b2^t) / (1 - b1^t) and steps by alpha * m / (sqrt(v) + eps).
      // The two differ by a factor on epsilon only, visible when gradients are tiny.
      return { optimizer: tf.train.adam(lr ?? 1e-3, 0.9, 0.999, 1e-7), optimizerClass: 'Adam' };
    case 'rmsprop':
      // Same update as Keras without momentum and without `centered` (tfjs's centered variant
      // differs from Keras's).
      return {
        optimizer: tf.train.rmsprop(lr ?? 1e-3, 0.9, 0, 1e-7, false),
        optimizerClass: 'RMSprop',
      };
    case 'adagrad':
      // tfjs's epsilon here is the backend's, 1e-7 for float32: Keras's default.
      return { optimizer: tf.train.adagrad(lr ?? 1e-3, 0.1), optimizerClass: 'Adagrad' };
    case 'adadelta':
      // Porting note: tfjs divides by the accumulated squared gradient from before this step;
      // Keras updates that accumulator first and divides by the new value.
      return {
        optimizer: tf.train.adadelta(lr ?? 1e-3, 0.95, 1e-7),
        optimizerClass: 'Adadelta',
      };
    case 'adamax':
      return {
        optimizer: tf.train.adamax(lr ?? 1e-3, 0.9, 0.999, 1e-7, 0),
        optimizerClass: 'Adamax',
      };
    default:
      throw unknownOptimizer(subject, config.name);
  }
}

/** Validates and resolves `compile`'s arguments; throws before anything is built. */
export function resolveCompile(args: CompileArgs, subject = 'compile'): CompiledState {
  if (typeof args !== 'object') {
    throw new ValueError(
      `${subject}: expected an options object { optimizer, loss, metrics }, received ${JSON.stringify(args)}.`,
    );
  }
  if ((args.loss as LossSpec | undefined) === undefined) {
    throw new ValueError(
      `${subject}: expected a \`loss\` (for example 'mse' or 'sparse_categorical_crossentropy'), received none.`,
    );
  }
  const loss = getLoss(args.loss, subject);
  const metrics = args.metrics ?? [];
  if (!Array.isArray(metrics)) {
    throw new ValueError(
      `${subject}: expected \`metrics\` to be a list such as ['accuracy'], received ${JSON.stringify(metrics)}.`,
    );
  }
  checkMetricSpecs(subject, metrics);
  const { optimizer, optimizerClass } = makeOptimizer(args.optimizer ?? 'rmsprop', subject);
  return { optimizer, optimizerClass, loss, metrics: [...metrics] };
}

/**
 * The number of values Keras's optimizer of this class keeps for `params` trainable values,
 * counting its `iterations` (int64) and `learning_rate` variables, and their bytes, as
 * `summary()` reports them once the optimizer is built; undefined for an optimizer class this
 * package does not know.
 */
export function kerasOptimizerParams(
  optimizer: tf.Optimizer,
  optimizerClass: string,
  params: number,
): { count: number; bytes: number } | undefined {
  const sized = (count: number): { count: number; bytes: number } => ({
    count,
    bytes: (count - 2) * 4 + 8 + 4,
  });
  const slots: Partial<Record<string, number>> = {
    SGD: 0,
    Momentum: 1,
    Adam: 2,
    Adamax: 2,
    Adagrad: 1,
    Adadelta: 2,
  };
  if (optimizerClass === 'RMSprop' || optimizerClass === 'RMSProp') {
    const config = optimizer.getConfig();
    const count = 1 + (config.momentum !== 0 ? 1 : 0) + (config.centered === true ? 1 : 0);
    return sized(count * params + 2);
  }
  const perParam = slots[optimizerClass];
  return perParam === undefined ? undefined : sized(perParam * params + 2);
}
