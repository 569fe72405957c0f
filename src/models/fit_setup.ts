/**
 * The options of fit / evaluate / predict, and everything `fit` checks and prepares before its
 * first step: options, x and y against the model and the loss, the metrics, the validation data.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, checkPositiveInteger, checkRate } from '../errors';
import { optionKeys } from '../option_keys';
import type { CompiledState } from './compile';
import {
  type DataInput,
  type OwnedTensor,
  checkBatchSize,
  checkBoolean,
  checkFinite,
  checkNonNegativeInteger,
  checkSparseLabels,
  checkVerbose,
  checkY,
  toTensor,
} from './data';
import { type Metric, getMetric } from './metrics';
import type { ProgressStream } from './progbar';
import { CALLBACK_HOOKS, type Callback, type FitPlan } from './training';

/** Options of `fit`. */
export interface FitArgs {
  /** Passes over the training data. Default: 1. */
  epochs?: number;
  /** Samples per gradient step; the last batch may be smaller. Default: 32. */
  batchSize?: number;
  /** Fraction in [0, 1) of the samples, taken from the END of x and y before any shuffling, held out for validation. Default: 0. */
  validationSplit?: number;
  /** `[xVal, yVal]` evaluated at the end of each epoch; takes precedence over `validationSplit`. Default: none. */
  validationData?: [DataInput, DataInput];
  /** Shuffle the training samples before each epoch. Default: true. */
  shuffle?: boolean;
  /** Hooks called during training (an object or a list). Default: none. */
  callbacks?: Callback | Callback[];
  /** 0: silent; 1: Keras's progress bar per epoch; 2: one line per epoch. Default: 1. */
  verbose?: 0 | 1 | 2;
  /** The epoch to start from (to resume training); epochs run from it to `epochs - 1`. Default: 0. */
  initialEpoch?: number;
  /** Where progress is written. Default: process.stdout. */
  stream?: ProgressStream;
}

/** Options of `evaluate`. */
export interface EvaluateArgs {
  /** Samples per batch. Default: 32. */
  batchSize?: number;
  /** 0: silent; 1: a progress bar; 2: one line. Default: 1 (as Keras). */
  verbose?: 0 | 1 | 2;
  /** Where progress is written. Default: process.stdout. */
  stream?: ProgressStream;
}

/** Options of `predict`. */
export interface PredictArgs {
  /** Samples per batch. Default: 32. */
  batchSize?: number;
  /** 0: silent; 1: a progress bar; 2: one line. Default: 1 (as Keras). */
  verbose?: 0 | 1 | 2;
  /** Where progress is written. Default: process.stdout. */
  stream?: ProgressStream;
}

const NO_SAMPLE_WEIGHTS = 'every sample weighs the same here; leave it out';
const NO_STEPS = 'every batch of the data is used; leave it out';

/** The keys of FitArgs, and Keras's `fit` arguments not implemented yet. */
export const FIT_OPTIONS = optionKeys<FitArgs>(
  {
    epochs: true,
    batchSize: true,
    validationSplit: true,
    validationData: true,
    shuffle: true,
    callbacks: true,
    verbose: true,
    initialEpoch: true,
    stream: true,
  },
  {
    sampleWeight: { hint: NO_SAMPLE_WEIGHTS },
    classWeight: { hint: NO_SAMPLE_WEIGHTS },
    stepsPerEpoch: { hint: NO_STEPS },
    validationSteps: { hint: NO_STEPS },
    validationBatchSize: { hint: 'validation runs in batches of `batchSize`; leave it out' },
    validationFreq: { default: 1, hint: 'validation runs after every epoch; leave it out' },
  },
);

/** The keys of EvaluateArgs, and Keras's `evaluate` arguments not implemented yet. */
export const EVALUATE_OPTIONS = optionKeys<EvaluateArgs>(
  { batchSize: true, verbose: true, stream: true },
  {
    sampleWeight: { hint: NO_SAMPLE_WEIGHTS },
    steps: { hint: NO_STEPS },
    callbacks: { hint: 'evaluate takes no callbacks yet; leave it out' },
    returnDict: { default: false, hint: 'the result is a number or [loss, ...metrics]' },
  },
);

/** The keys of PredictArgs, and Keras's `predict` arguments not implemented yet. */
export const PREDICT_OPTIONS = optionKeys<PredictArgs>(
  { batchSize: true, verbose: true, stream: true },
  {
    steps: { hint: NO_STEPS },
    callbacks: { hint: 'predict takes no callbacks yet; leave it out' },
  },
);

/** What the checks need from the model. */
export interface DataModel {
  /** Checks x against the model's input; builds the model from x when it is not built yet. */
  prepareX(subject: string, x: tf.Tensor): void;
  /** The output shape with the batch axis (after `prepareX`). */
  outputShape(): (number | null)[] | null;
}

/** `fit`'s options with defaults applied, all checked. */
export type FitOptions = Omit<FitPlan, 'x' | 'y' | 'validation'> & { validationSplit: number };

/**
 * A callback's members that look like hooks (`onEpochEnd`, `on_epoch_end`), its own and those
 * of its class: other members are its own business.
 */
function hookEntries(callback: object): [string, unknown][] {
  const entries = new Map<string, unknown>();
  for (let o: object | null = callback; o !== null && o !== Object.prototype;) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (/^on[A-Z_]/.test(key) && !entries.has(key)) {
        entries.set(key, (callback as Record<string, unknown>)[key]);
      }
    }
    o = Object.getPrototypeOf(o) as object | null;
  }
  return [...entries];
}

/** Checks every option of `fit` and applies Keras's defaults. */
export function fitOptions(subject: string, args: FitArgs): FitOptions {
  FIT_OPTIONS.check(subject, args);
  const callbacks = args.callbacks === undefined ? [] : [args.callbacks].flat();
  callbacks.forEach((cb: unknown, i) => {
    if (typeof cb !== 'object' || cb === null) {
      throw new ValueError(
        `${subject}: expected \`callbacks\` to be an object with onEpochEnd, onBatchEnd, ... methods, or a list of them, received ${JSON.stringify(cb)}.`,
      );
    }
    CALLBACK_HOOKS.checkEntries(`${subject}: callbacks[${i}]`, hookEntries(cb), 'hook');
  });
  return {
    epochs: checkPositiveInteger(subject, 'epochs', args.epochs ?? 1),
    batchSize: checkBatchSize(subject, args.batchSize ?? 32),
    validationSplit: checkRate(subject, 'validationSplit', args.validationSplit ?? 0),
    shuffle: checkBoolean(subject, 'shuffle', args.shuffle ?? true),
    verbose: checkVerbose(subject, args.verbose ?? 1),
    initialEpoch: checkNonNegativeInteger(subject, 'initialEpoch', args.initialEpoch ?? 0),
    callbacks,
    stream: args.stream,
  };
}

/**
 * Checks y against the model's output for the loss and each metric, and resolves the metrics
 * (the accuracy Keras picks depends on the shapes of y and of the output).
 */
export function resolveMetrics(
  subject: string,
  compiled: CompiledState,
  x: tf.Tensor,
  y: tf.Tensor,
  outputShape: readonly (number | null)[],
): Metric[] {
  checkY(subject, y, x, outputShape, compiled.loss);
  const classes = outputShape.at(-1);
  return compiled.metrics.map((spec) => {
    const metric = getMetric(spec, y.shape, outputShape);
    if (metric.loss !== undefined) {
      checkY(subject, y, x, outputShape, metric.loss, `the metric '${metric.name}'`);
    }
    if (metric.sparseTargets === true && classes != null) {
      const what = `the metric '${metric.name}' (the model outputs ${classes} classes)`;
      checkSparseLabels(subject, y, classes, what);
    }
    return metric;
  });
}

/** x and y converted and checked, with the tensors this call created (to dispose). */
export interface PreparedData {
  x: tf.Tensor;
  y: tf.Tensor;
  metrics: Metric[];
  owned: tf.Tensor[];
}

/**
 * Converts and checks x and y for `fit` or `evaluate`: x against the model (building it if
 * needed), y against the loss and metrics, no NaN or infinity. Disposes what it created if a
 * check fails.
 */
export function prepareData(
  subject: string,
  model: DataModel,
  compiled: CompiledState,
  x: DataInput,
  y: DataInput,
): PreparedData {
  const owned: tf.Tensor[] = [];
  const own = (t: OwnedTensor): tf.Tensor => {
    if (t.owned) owned.push(t.tensor);
    return t.tensor;
  };
  try {
    const xs = own(toTensor(subject, 'x', x));
    const ys = own(toTensor(subject, 'y', y));
    model.prepareX(subject, xs);
    const metrics = resolveMetrics(subject, compiled, xs, ys, model.outputShape() ?? []);
    checkFinite(subject, 'x', xs);
    checkFinite(subject, 'y', ys);
    return { x: xs, y: ys, metrics, owned };
  } catch (err) {
    for (const t of owned) t.dispose();
    throw err;
  }
}

/** The training and validation tensors of a `fit`, and every tensor it created. */
export interface PreparedFit {
  train: { x: tf.Tensor; y: tf.Tensor };
  validation: { x: tf.Tensor; y: tf.Tensor } | null;
  metrics: Metric[];
  owned: tf.Tensor[];
}

/**
 * Everything `fit` checks on its data, before any step. `validationData` wins over
 * `validationSplit`; a split holds out the last samples before any shuffling, as Keras does.
 */
export function prepareFit(
  subject: string,
  model: DataModel,
  compiled: CompiledState,
  x: DataInput,
  y: DataInput,
  validationSplit: number,
  validationData: [DataInput, DataInput] | undefined,
): PreparedFit {
  const data = prepareData(subject, model, compiled, x, y);
  const owned = [...data.owned];
  try {
    if (validationData !== undefined) {
      const given: unknown = validationData;
      if (!Array.isArray(given) || given.length !== 2) {
        throw new ValueError(
          `${subject}: expected \`validationData\` to be [xVal, yVal], received ${Array.isArray(given) ? `a list of ${given.length}` : typeof given}.`,
        );
      }
      const val = prepareData(`${subject} (validationData)`, model, compiled, ...validationData);
      owned.push(...val.owned);
      return {
        train: data,
        validation: { x: val.x, y: val.y },
        metrics: data.metrics,
        owned,
      };
    }
    if (validationSplit === 0) {
      return { train: data, validation: null, metrics: data.metrics, owned };
    }
    const n = data.x.shape[0] ?? 0;
    const splitAt = Math.floor(n * (1 - validationSplit));
    if (splitAt === 0 || splitAt === n) {
      throw new ValueError(
        `${subject}: ${n} samples are too few for validationSplit ${validationSplit}: it leaves ${splitAt} for training and ${n - splitAt} for validation. Provide more data or change validationSplit.`,
      );
    }
    const split = (t: tf.Tensor, begin: number, size?: number): tf.Tensor => {
      const part = size === undefined ? t.slice(begin) : t.slice(begin, size);
      owned.push(part);
      return part;
    };
    return {
      train: { x: split(data.x, 0, splitAt), y: split(data.y, 0, splitAt) },
      validation: { x: split(data.x, splitAt), y: split(data.y, splitAt) },
      metrics: data.metrics,
      owned,
    };
  } catch (err) {
    for (const t of owned) t.dispose();
    throw err;
  }
}
