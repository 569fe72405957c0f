/**
 * A compiled loss in a `.keras` file's `compile_config`, both ways. Keras writes a loss given
 * by name as that name (`"mse"`), and a loss object as `{"module": "keras.losses", "class_name":
 * "BinaryCrossentropy", "config": {"name", "reduction", "from_logits", ...}}`; both read back
 * here, and a loss with options (`fromLogits`, `labelSmoothing`, `delta`) is written as the
 * object, as Keras writes its loss classes (checked against Keras 3.15's `serialize_keras_object`).
 *
 * Porting note: Keras's `Huber.get_config()` leaves `delta` out (its class takes it); it is
 * written here, so that the file keeps it and Keras's `from_config` passes it back.
 */
import type { LossConfig, LossSpec } from '../models/losses';
import { type JsonObject, type JsonValue, KerasJsonError, isJsonObject, show } from './keras_json';

/** Keras's loss classes by this package's canonical loss name (each config's `name`). */
const CLASSES: Readonly<Partial<Record<string, string>>> = {
  mean_squared_error: 'MeanSquaredError',
  mean_absolute_error: 'MeanAbsoluteError',
  mean_absolute_percentage_error: 'MeanAbsolutePercentageError',
  mean_squared_logarithmic_error: 'MeanSquaredLogarithmicError',
  huber: 'Huber',
  log_cosh: 'LogCosh',
  hinge: 'Hinge',
  squared_hinge: 'SquaredHinge',
  categorical_hinge: 'CategoricalHinge',
  kl_divergence: 'KLDivergence',
  poisson: 'Poisson',
  binary_crossentropy: 'BinaryCrossentropy',
  categorical_crossentropy: 'CategoricalCrossentropy',
  sparse_categorical_crossentropy: 'SparseCategoricalCrossentropy',
};

/** The config `name` Keras gives a loss object: its canonical name, `huber_loss` for Huber. */
function configName(canonical: string): string {
  return canonical === 'huber' ? 'huber_loss' : canonical;
}

const REDUCTION = 'sum_over_batch_size';

/** Whether a name is written as Keras spells its names (snake_case), so Keras reads it back. */
function kerasSpelling(name: string): boolean {
  return /^[a-z][a-z0-9_]*$/.test(name);
}

/**
 * The loss `spec` (as `compile` was given it; `canonical` is its Keras name) as Keras writes it
 * in `compile_config`. Throws for a function, which Keras could not read back.
 */
export function lossToKeras(subject: string, spec: LossSpec, canonical: string): JsonValue {
  if (typeof spec === 'function') {
    throw new KerasJsonError(
      `${subject}: the model's loss is a function ('${spec.name || 'anonymous'}'), which a .keras file cannot hold for Keras to read back; compile with a Keras loss name (or { name, fromLogits, ... }), or save the weights alone with saveWeights().`,
    );
  }
  const config: LossConfig = typeof spec === 'string' ? { name: spec } : spec;
  const { name, fromLogits, labelSmoothing, delta } = config;
  const hasOptions = fromLogits === true || (labelSmoothing ?? 0) !== 0 || delta !== undefined;
  if (!hasOptions) return kerasSpelling(name) ? name : canonical;
  const className = CLASSES[canonical];
  if (className === undefined) {
    throw new KerasJsonError(`${subject}: the loss '${canonical}' has no Keras class here.`);
  }
  const out: { [key: string]: JsonValue } = { name: configName(canonical), reduction: REDUCTION };
  if (canonical === 'huber') {
    out.delta = delta ?? 1;
  } else if (canonical === 'sparse_categorical_crossentropy') {
    Object.assign(out, { from_logits: fromLogits ?? false, ignore_class: null });
  } else {
    const smoothing = labelSmoothing ?? 0;
    Object.assign(out, { from_logits: fromLogits ?? false, label_smoothing: smoothing, axis: -1 });
  }
  return {
    module: 'keras.losses',
    class_name: className,
    config: out,
    registered_name: null,
  };
}

/** Keys of a loss object's config and the values this package takes for them. */
function readLossOptions(where: string, className: string, config: JsonObject): LossConfig {
  const canonical = Object.entries(CLASSES).find(([, c]) => c === className)?.[0];
  if (canonical === undefined) {
    throw new KerasJsonError(
      `${where}: compile_config's loss class '${className}' is not supported. Supported: ${Object.values(CLASSES).join(', ')}.`,
    );
  }
  const loss: LossConfig = { name: canonical };
  for (const [key, value] of Object.entries(config)) {
    const refuse = (expected: string): KerasJsonError =>
      new KerasJsonError(
        `${where}: compile_config's ${className} \`${key}\` = ${show(value)}; expected ${expected}.`,
      );
    if (key === 'name' || key === 'dtype') continue;
    if (key === 'reduction') {
      if (value !== REDUCTION && value !== 'auto') throw refuse(`'${REDUCTION}'`);
    } else if (key === 'axis') {
      if (value !== -1) throw refuse('-1 (the last axis)');
    } else if (key === 'ignore_class') {
      if (value !== null) throw refuse('null (ignore_class is not supported)');
    } else if (key === 'from_logits' && typeof value === 'boolean') {
      if (value) loss.fromLogits = true;
    } else if (key === 'label_smoothing' && typeof value === 'number') {
      if (value !== 0) loss.labelSmoothing = value;
    } else if (key === 'delta' && typeof value === 'number' && canonical === 'huber') {
      loss.delta = value;
    } else {
      throw refuse('no such option (not supported)');
    }
  }
  return loss;
}

/** A `compile_config` loss (a name, or a Keras loss object) as `compile`'s `loss`. */
export function lossFromKeras(where: string, value: JsonValue | undefined): LossSpec {
  if (typeof value === 'string') return value;
  if (isJsonObject(value) && typeof value.class_name === 'string') {
    return readLossOptions(where, value.class_name, isJsonObject(value.config) ? value.config : {});
  }
  throw new KerasJsonError(
    `${where}: compile_config's \`loss\` = ${show(value)}; expected a loss name ('mse', 'binary_crossentropy', ...) or a Keras loss object.`,
  );
}
