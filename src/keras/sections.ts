/**
 * The `gradients` and `training` sections of a Keras reference fixture (FORMAT.md, python/
 * README.md): typed readers that say where a section is wrong, what replaying one reports, and
 * the comparison both use, `|ours - Keras| <= atol + rtol * |Keras|`.
 */
import type * as tf from '@tensorflow/tfjs';
import { formatShape } from '../errors';
import {
  FixtureError,
  type FixtureTensor,
  type FixtureWeight,
  type KerasFixture,
  readTensor,
} from './fixture';
import { type JsonObject, type JsonValue, isJsonArray, isJsonObject, show } from './keras_json';

/** A `gradients` section: d(loss)/d(weight) for every trainable weight, in inference mode. */
export interface GradientsSection {
  /** The Keras loss name (`mean_squared_error`, `sparse_categorical_crossentropy`, ...). */
  readonly loss: string;
  readonly fromLogits: boolean;
  readonly x: FixtureTensor;
  readonly y: FixtureTensor;
  /** The loss Keras computed. */
  readonly lossValue: number;
  /** One per trainable weight, in Keras's `model.trainable_weights` order. */
  readonly grads: readonly FixtureWeight[];
  readonly rtol: number;
  readonly atol: number;
}

/** A `training` section: Keras's `fit` from the fixture's weights. */
export interface TrainingSection {
  /** Keras's optimizer class name and `optimizer.get_config()`. */
  readonly optimizer: { readonly className: string; readonly config: JsonObject };
  readonly loss: string;
  readonly fromLogits: boolean;
  readonly metrics: readonly string[];
  readonly batchSize: number;
  readonly epochs: number;
  readonly shuffle: boolean;
  readonly x: FixtureTensor;
  readonly y: FixtureTensor;
  /** Per-epoch values by Keras's log name (`loss`, `accuracy`, ...). */
  readonly history: Readonly<Record<string, readonly number[]>>;
  /** Every weight after training, as `model.weights` lists them. */
  readonly finalWeights: readonly FixtureWeight[];
  readonly rtol: number;
  readonly atol: number;
}

/** One of a `calls` section's ordered calls: a forward pass, or a reset of the states. */
export type FixtureCall =
  | { readonly kind: 'predict'; readonly input: FixtureTensor; readonly output: FixtureTensor }
  | { readonly kind: 'reset' };

/** A `calls` section: calls on one model instance, the states carrying over between them. */
export interface CallsSection {
  readonly calls: readonly FixtureCall[];
  /** The absolute tolerance of every output (the fixture's top-level `atol`; default 1e-5). */
  readonly atol: number;
}

/** One recurrent layer's entry of a `gradient_flow` section. */
export interface GradientFlowLayer {
  readonly layer: string;
  readonly stepNorms: readonly number[];
  /** An LSTM's; absent for other kinds. */
  readonly cellNorms?: readonly number[];
}

/** A fixture's `gradient_flow` section (see FORMAT.md). */
export interface GradientFlowSection {
  readonly loss: string;
  readonly x: FixtureTensor;
  readonly y: FixtureTensor;
  readonly lossValue: number;
  readonly layers: readonly GradientFlowLayer[];
  readonly rtol: number;
}

/** The outcome of replaying one section. */
export interface SectionResult {
  /** Which section. */
  readonly section: 'gradients' | 'training' | 'calls' | 'gradient_flow';
  /** How its replay ended. */
  readonly status: 'passed' | 'failed' | 'skipped';
  /**
   * The largest `|ours - Keras| / (atol + rtol * |Keras|)` over every value compared (1 is the
   * limit); NaN when nothing was compared.
   */
  readonly worst: number;
  /** Why it failed or was skipped; undefined when it passed. */
  readonly reason: string | undefined;
}

function fail(path: string, expectation: string, received: unknown): never {
  throw new FixtureError(`${path}: expected ${expectation}, received ${show(received)}.`);
}

function object(path: string, value: JsonValue | undefined): JsonObject {
  if (!isJsonObject(value)) fail(path, 'an object', value);
  return value;
}

function string(path: string, value: JsonValue | undefined): string {
  if (typeof value !== 'string' || value === '') fail(path, 'a non-empty string', value);
  return value;
}

function boolean(path: string, value: JsonValue | undefined, fallback?: boolean): boolean {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'boolean') fail(path, 'true or false', value);
  return value;
}

function positiveInteger(path: string, value: JsonValue | undefined): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    fail(path, 'a positive integer', value);
  }
  return value;
}

function tolerance(path: string, value: JsonValue | undefined, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) fail(path, 'a number >= 0', value);
  return value;
}

function weights(path: string, value: JsonValue | undefined): FixtureWeight[] {
  if (!isJsonArray(value)) fail(path, 'a list of weights {"name", "shape", "data"}', value);
  return value.map((w, i) => {
    const where = `${path}[${i}]`;
    if (!isJsonObject(w)) fail(where, 'a weight {"name", "shape", "data"}', w);
    return { name: string(`${where}.name`, w.name), ...readTensor(where, w) };
  });
}

/** Reads and checks the fixture's `gradients` section. Throws a FixtureError naming the part. */
export function readGradientsSection(fixture: KerasFixture): GradientsSection {
  const s = object('gradients', fixture.raw.gradients);
  const lossValue = s.loss_value;
  if (typeof lossValue !== 'number') fail('gradients.loss_value', 'a number', lossValue);
  return {
    loss: string('gradients.loss', s.loss),
    fromLogits: boolean('gradients.from_logits', s.from_logits, false),
    x: readTensor('gradients.x', s.x),
    y: readTensor('gradients.y', s.y),
    lossValue,
    grads: weights('gradients.grads', s.grads),
    rtol: tolerance('gradients.rtol', s.rtol),
    atol: tolerance('gradients.atol', s.atol, 0),
  };
}

function numbers(path: string, value: JsonValue | undefined): number[] {
  if (!isJsonArray(value) || !value.every((v) => typeof v === 'number')) {
    fail(path, 'a list of numbers', value);
  }
  return value;
}

/** Reads and checks the fixture's `gradient_flow` section. Throws a FixtureError naming the part. */
export function readGradientFlowSection(fixture: KerasFixture): GradientFlowSection {
  const s = object('gradient_flow', fixture.raw.gradient_flow);
  const lossValue = s.loss_value;
  if (typeof lossValue !== 'number') fail('gradient_flow.loss_value', 'a number', lossValue);
  const layers = s.layers;
  if (!isJsonArray(layers) || layers.length === 0) {
    fail('gradient_flow.layers', 'a non-empty list of layers', layers);
  }
  return {
    loss: string('gradient_flow.loss', s.loss),
    x: readTensor('gradient_flow.x', s.x),
    y: readTensor('gradient_flow.y', s.y),
    lossValue,
    layers: layers.map((value, i): GradientFlowLayer => {
      const where = `gradient_flow.layers[${i}]`;
      const entry = object(where, value);
      return {
        layer: string(`${where}.layer`, entry.layer),
        stepNorms: numbers(`${where}.step_norms`, entry.step_norms),
        ...(entry.cell_norms === undefined
          ? {}
          : { cellNorms: numbers(`${where}.cell_norms`, entry.cell_norms) }),
      };
    }),
    rtol: tolerance('gradient_flow.rtol', s.rtol),
  };
}

/** Reads and checks the fixture's `calls` section. Throws a FixtureError naming the part. */
export function readCallsSection(fixture: KerasFixture): CallsSection {
  const values = fixture.raw.calls;
  if (!isJsonArray(values) || values.length === 0)
    fail('calls', 'a non-empty list of calls', values);
  const calls = values.map((value, i): FixtureCall => {
    const call = object(`calls[${i}]`, value);
    if (call.reset_states !== undefined) {
      if (call.reset_states !== true) fail(`calls[${i}].reset_states`, 'true', call.reset_states);
      return { kind: 'reset' };
    }
    return {
      kind: 'predict',
      input: readTensor(`calls[${i}].input`, call.input),
      output: readTensor(`calls[${i}].output`, call.output),
    };
  });
  return { calls, atol: tolerance('atol', fixture.raw.atol, 1e-5) };
}

/** Reads and checks the fixture's `training` section. Throws a FixtureError naming the part. */
export function readTrainingSection(fixture: KerasFixture): TrainingSection {
  const s = object('training', fixture.raw.training);
  const compile = object('training.compile', s.compile);
  const optimizer = object('training.compile.optimizer', compile.optimizer);
  const fit = object('training.fit', s.fit);
  const metricValues = compile.metrics ?? [];
  if (!isJsonArray(metricValues) || metricValues.some((m) => typeof m !== 'string')) {
    fail('training.compile.metrics', 'a list of metric names', metricValues);
  }
  const historyValue = object('training.history', s.history);
  const history: Record<string, number[]> = {};
  for (const [key, values] of Object.entries(historyValue)) {
    if (!isJsonArray(values) || values.some((v) => typeof v !== 'number')) {
      fail(`training.history.${key}`, 'a list of numbers, one per epoch', values);
    }
    history[key] = values as number[];
  }
  return {
    optimizer: {
      className: string('training.compile.optimizer.class_name', optimizer.class_name),
      config: object('training.compile.optimizer.config', optimizer.config),
    },
    loss: string('training.compile.loss', compile.loss),
    fromLogits: boolean('training.compile.from_logits', compile.from_logits, false),
    metrics: metricValues as string[],
    batchSize: positiveInteger('training.fit.batch_size', fit.batch_size),
    epochs: positiveInteger('training.fit.epochs', fit.epochs),
    shuffle: boolean('training.fit.shuffle', fit.shuffle, false),
    x: readTensor('training.x', s.x),
    y: readTensor('training.y', s.y),
    history,
    finalWeights: weights('training.final_weights', s.final_weights),
    rtol: tolerance('training.rtol', s.rtol),
    atol: tolerance('training.atol', s.atol, 0),
  };
}

/** How far `got` is from Keras's `want`, in units of the tolerance. */
export interface Closeness {
  /** The largest `|got - want| / (atol + rtol * |want|)`; NaN against a number is Infinity. */
  readonly worst: number;
  /** The flat index of the worst value beyond tolerance, or -1 when all are within it. */
  readonly failing: number;
}

/** `|got - want| / (atol + rtol * |want|)`, 0 for equal values (NaN and infinities included). */
export function toleranceRatio(got: number, want: number, rtol: number, atol: number): number {
  if (got === want || (Number.isNaN(got) && Number.isNaN(want))) return 0;
  const diff = Math.abs(got - want);
  if (Number.isNaN(diff)) return Infinity;
  const bound = atol + rtol * Math.abs(want);
  return bound === 0 ? Infinity : diff / bound;
}

/** Compares values element by element within `atol + rtol * |want|`. */
export function closeness(
  got: ArrayLike<number>,
  want: readonly number[],
  rtol: number,
  atol: number,
): Closeness {
  let worst = 0;
  let failing = -1;
  let failingRatio = 1;
  for (let i = 0; i < want.length; i++) {
    const ratio = toleranceRatio(got[i] ?? Number.NaN, want[i] ?? Number.NaN, rtol, atol);
    if (ratio > worst) worst = ratio;
    if (ratio > failingRatio) {
      failing = i;
      failingRatio = ratio;
    }
  }
  return { worst, failing };
}

/** `[1, 2]` for flat index `i` of `shape`. */
export function indexIn(i: number, shape: readonly number[]): number[] {
  const index: number[] = [];
  let rest = i;
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k] ?? 1;
    index.unshift(d === 0 ? 0 : rest % d);
    rest = d === 0 ? 0 : Math.floor(rest / d);
  }
  return index;
}

/** `got 0.51234, Keras 0.50012 (1.2e-2 > 1e-6 + 1e-3 * |Keras|)`. */
export function describeMismatch(got: number, want: number, rtol: number, atol: number): string {
  const diff = Math.abs(got - want);
  return `got ${got}, Keras ${want} (|diff| ${Number.isFinite(diff) ? diff.toExponential(2) : String(diff)} > ${atol} + ${rtol} * |Keras|)`;
}

/** Compares a tensor with a fixture tensor of the same shape; a reason when it is off. */
export function compareTensor(
  what: string,
  got: tf.Tensor,
  want: FixtureTensor,
  rtol: number,
  atol: number,
): { worst: number; reason: string | undefined } {
  const same =
    got.shape.length === want.shape.length && got.shape.every((d, i) => d === want.shape[i]);
  if (!same) {
    return {
      worst: Infinity,
      reason: `${what} has shape ${formatShape(got.shape)}, Keras's has ${formatShape(want.shape)}`,
    };
  }
  const values = got.dataSync();
  const { worst, failing } = closeness(values, want.data, rtol, atol);
  if (failing < 0) return { worst, reason: undefined };
  return {
    worst,
    reason: `${what} ${formatShape(indexIn(failing, want.shape))}: ${describeMismatch(values[failing] ?? Number.NaN, want.data[failing] ?? Number.NaN, rtol, atol)}`,
  };
}
