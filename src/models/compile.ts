/**
 * `compile({ optimizer, loss, metrics })`: Keras names -> tfjs optimizers with Keras's defaults,
 * Keras losses and metrics.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatNames } from '../errors';
import { optionKeys } from '../option_keys';
import { isKerasOptimizer } from '../optimizers/optimizer';
import { kerasOptimizer, kerasOptimizerClass } from '../optimizers/factory';
import type { AdadeltaArgs } from '../optimizers/adadelta';
import type { AdagradArgs } from '../optimizers/adagrad';
import type { AdamArgs } from '../optimizers/adam';
import type { AdamaxArgs } from '../optimizers/adamax';
import type { RMSpropArgs } from '../optimizers/rmsprop';
import type { SGDArgs } from '../optimizers/sgd';
import { type Loss, type LossSpec, getLoss } from './losses';
import { type MetricSpec, checkMetricSpecs } from './metrics';

/** The optimizer names `compile` accepts (case-insensitive). */
export const OPTIMIZER_NAMES = ['adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const;
/** An optimizer's name as `compile` takes it (`'adam'`, `'rmsprop'`, ...). */
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/**
 * An optimizer by name with its options, e.g. `{ name: 'adam', learningRate: 0.01 }` or
 * `{ name: 'sgd', momentum: 0.9, clipnorm: 1 }` (Keras's options, camelCase or snake_case).
 */
export type OptimizerConfig = {
  /** One of `OPTIMIZER_NAMES`, case-insensitive. Required. */
  name: string;
} & SGDArgs &
  AdamArgs &
  RMSpropArgs &
  AdagradArgs &
  AdadeltaArgs &
  AdamaxArgs;

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

const NO_EFFECT = 'it has no counterpart here; leave it out';

/** The keys of CompileArgs, and Keras's `compile` arguments not implemented yet. */
export const COMPILE_OPTIONS = optionKeys<CompileArgs>(
  { optimizer: true, loss: true, metrics: true },
  {
    lossWeights: { hint: 'a Sequential model has one output and one loss; leave it out' },
    weightedMetrics: { hint: 'every sample weighs the same here; give them as `metrics`' },
    runEagerly: { default: false, hint: NO_EFFECT },
    stepsPerExecution: { default: 1, hint: NO_EFFECT },
    jitCompile: { default: 'auto', hint: NO_EFFECT },
    autoScaleLoss: { default: true, hint: NO_EFFECT },
  },
);

/** `compile`'s arguments, resolved. */
export interface CompiledState {
  /** The optimizer. */
  optimizer: tf.Optimizer;
  /** The Keras class name of the optimizer (`'Adam'`), or tfjs's class name for an instance. */
  optimizerClass: string;
  /** The loss. */
  loss: Loss;
  /** The loss as `compile` was given it (for a saved model's `compile_config`). */
  lossSpec: LossSpec;
  /** The metrics, in the order given. */
  metrics: MetricSpec[];
}

function unknownOptimizer(subject: string, received: unknown): ValueError {
  return new ValueError(
    `${subject}: unknown optimizer ${JSON.stringify(received)}. Known optimizers: ${formatNames(OPTIMIZER_NAMES)} (case-insensitive), { name, learningRate }, or a tf.Optimizer instance.`,
  );
}

/**
 * Every optimizer `compile` builds from a name is built here: Keras's optimizers with Keras's
 * update rules and defaults (src/optimizers/); any tfjs optimizer instance is used as it is.
 */
export function makeOptimizer(
  spec: OptimizerSpec,
  subject = 'compile',
): Pick<CompiledState, 'optimizer' | 'optimizerClass'> {
  if (spec instanceof tf.Optimizer) return { optimizer: spec, optimizerClass: spec.getClassName() };
  const config: OptimizerConfig = typeof spec === 'string' ? { name: spec } : spec;
  if (typeof config !== 'object' || typeof config.name !== 'string') {
    throw unknownOptimizer(subject, spec);
  }
  if (kerasOptimizerClass(config.name) === undefined) throw unknownOptimizer(subject, config.name);
  const { name, ...options } = config;
  const optimizer = kerasOptimizer(name, options, subject);
  return { optimizer, optimizerClass: optimizer.getClassName() };
}

/** Validates and resolves `compile`'s arguments; throws before anything is built. */
export function resolveCompile(args: CompileArgs, subject = 'compile'): CompiledState {
  if (typeof args !== 'object') {
    throw new ValueError(
      `${subject}: expected an options object { optimizer, loss, metrics }, received ${JSON.stringify(args)}.`,
    );
  }
  COMPILE_OPTIONS.check(subject, args);
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
  return { optimizer, optimizerClass, loss, lossSpec: args.loss, metrics: [...metrics] };
}

/**
 * The number of values Keras's optimizer of this class keeps for `params` trainable values,
 * counting its `iterations` (int64) and `learning_rate` variables, and their bytes, as
 * `summary()` reports them once the optimizer is built; undefined for an optimizer class this
 * package does not know.
 */
export function kerasOptimizerParams(
  optimizer: tf.Optimizer,
  params: number,
): { count: number; bytes: number } | undefined {
  if (!isKerasOptimizer(optimizer)) return undefined;
  // Each slot is a float32 copy of every weight; plus Keras's int64 `iterations` and float32
  // `learning_rate` variables.
  const count = optimizer.slotNames().length * params + 2;
  return { count, bytes: (count - 2) * 4 + 8 + 4 };
}
