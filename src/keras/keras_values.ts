/**
 * Keras config values that several classes share: activations, initializers, dtype policies,
 * regularizers and constraints, shapes. Each is read as Keras writes it and mapped to this
 * package's names, or refused with the class and key named.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_NAMES } from '../layers/activations';
import { INITIALIZER_NAMES, type InitializerSpec } from '../layers/initializers';
import {
  ConfigReader,
  type JsonValue,
  KerasJsonError,
  isJsonArray,
  isJsonObject,
  isKerasModule,
  kerasObject,
  show,
} from './keras_json';

/** How the JSON was written: Keras 3, or Keras 2 / tfjs-layers (`keras_version` 2.x or tfjs). */
export interface KerasDialect {
  /** Keras 2 or tfjs-layers JSON, where a few names meant other formulas. Default: false. */
  legacy: boolean;
}

export const KERAS_3: KerasDialect = { legacy: false };

/** The dialect of a document whose top level says `keras_version` (Keras 2 and tfjs write it). */
export function dialectOf(kerasVersion: string | undefined): KerasDialect {
  if (kerasVersion === undefined) return KERAS_3;
  return { legacy: !/^3\./.test(kerasVersion) };
}

// ---------------------------------------------------------------------------------------------
// Activations

/**
 * An activation as Keras writes it: a name (`"tanh"`), null (linear), or a serialized function
 * `{"class_name": "function", "config": "relu", ...}`. Returns the Keras name.
 */
export function readActivation(
  reader: ConfigReader,
  key: string,
  dialect: KerasDialect,
  fallback: string,
): string {
  const value = reader.get(key);
  let name: string;
  if (value === undefined) {
    name = fallback;
  } else if (value === null) {
    name = 'linear';
  } else if (typeof value === 'string') {
    name = value;
  } else if (isJsonObject(value) && value.class_name === 'function') {
    // Keras 3 may serialize a function as {module: 'keras.activations', class_name: 'function',
    // config: 'relu', registered_name: 'relu'}.
    const module = value.module;
    if (
      typeof value.config !== 'string' ||
      (typeof module === 'string' && !isKerasModule(module))
    ) {
      throw reader.error(key, 'must be a Keras activation; custom functions are not supported');
    }
    name = value.config;
  } else {
    throw reader.error(key, 'must be a Keras activation name');
  }
  if (!ACTIVATION_NAMES.includes(name)) {
    throw new KerasJsonError(
      `${reader.subject}: \`${key}\`: unknown or unsupported activation ${show(name)}. Supported activations: ${ACTIVATION_NAMES.join(', ')}.`,
    );
  }
  if (dialect.legacy && name === 'hard_sigmoid') {
    // Porting note: Keras 2 and tfjs-layers compute hard_sigmoid as clip(0.2x + 0.5, 0, 1);
    // Keras 3, which this package follows, as relu6(x + 3) / 6.
    throw new KerasJsonError(
      `${reader.subject}: \`${key}: "hard_sigmoid"\` from Keras 2 JSON is not supported: Keras 2 computes clip(0.2x + 0.5, 0, 1), this package Keras 3's relu6(x + 3) / 6.`,
    );
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Initializers

/** Keras initializer classes without parameters, by class name and by serialized string name. */
const PLAIN_INITIALIZERS: Readonly<Partial<Record<string, string>>> = {
  Zeros: 'zeros',
  Ones: 'ones',
  GlorotUniform: 'glorot_uniform',
  GlorotNormal: 'glorot_normal',
  HeUniform: 'he_uniform',
  HeNormal: 'he_normal',
  LecunUniform: 'lecun_uniform',
  LecunNormal: 'lecun_normal',
};

/** Keras's initializer string names (Keras 2 and hand-written configs), to this package's. */
const INITIALIZER_STRINGS: Readonly<Partial<Record<string, string>>> = {
  ...Object.fromEntries(INITIALIZER_NAMES.map((n) => [n, n])),
  zero: 'zeros',
  one: 'ones',
  uniform: 'random_uniform',
  normal: 'random_normal',
};

/** The named VarianceScaling settings, as Keras defines them. */
const VARIANCE_SCALING_NAMES: readonly [number, string, string, string][] = [
  [1, 'fan_avg', 'uniform', 'glorot_uniform'],
  [1, 'fan_avg', 'truncated_normal', 'glorot_normal'],
  [2, 'fan_in', 'uniform', 'he_uniform'],
  [2, 'fan_in', 'truncated_normal', 'he_normal'],
  [1, 'fan_in', 'uniform', 'lecun_uniform'],
  [1, 'fan_in', 'truncated_normal', 'lecun_normal'],
];

const FAN_MODES: Readonly<Partial<Record<string, 'fanIn' | 'fanOut' | 'fanAvg'>>> = {
  fan_in: 'fanIn',
  fan_out: 'fanOut',
  fan_avg: 'fanAvg',
};

/** The standard deviation of a unit normal truncated at ±2, which Keras divides by. */
const TRUNCATED_NORMAL_STDDEV = 0.8796256610342398;

/**
 * An initializer as Keras writes it (`{"class_name": "GlorotUniform", "config": {"seed": null}}`
 * or a string name), as this package's spec: a Keras name, or a tfjs initializer carrying the
 * parameters. Seeds are ignored; parameters that tfjs cannot honour are refused.
 */
export function readInitializer(
  reader: ConfigReader,
  key: string,
  fallback: string,
): InitializerSpec {
  const value = reader.get(key);
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') {
    const name = INITIALIZER_STRINGS[value];
    if (name === undefined) {
      throw new KerasJsonError(
        `${reader.subject}: \`${key}\`: unknown initializer ${show(value)}. Supported initializers: ${INITIALIZER_NAMES.join(', ')}.`,
      );
    }
    return name;
  }
  const object = kerasObject(`${reader.subject}: \`${key}\``, value);
  const params = new ConfigReader(
    `${reader.subject}: \`${key}\` ${object.className}`,
    object.config,
  );
  params.ignore('seed');
  const spec = initializerFromClass(object.className, params, key, reader.subject);
  params.finish();
  return spec;
}

function initializerFromClass(
  className: string,
  params: ConfigReader,
  key: string,
  subject: string,
): InitializerSpec {
  const plain = PLAIN_INITIALIZERS[className];
  if (plain !== undefined) {
    // Keras 3.15 writes input_axes / output_axes (null) on the VarianceScaling family.
    params.refuseIfSet('input_axes', 'fans over chosen axes are not supported');
    params.refuseIfSet('output_axes', 'fans over chosen axes are not supported');
    return plain;
  }
  switch (className) {
    case 'RandomUniform': {
      const minval = params.number('minval', -0.05);
      const maxval = params.number('maxval', 0.05);
      if (minval === -0.05 && maxval === 0.05) return 'random_uniform';
      return tf.initializers.randomUniform({ minval, maxval });
    }
    case 'RandomNormal': {
      const mean = params.number('mean', 0);
      const stddev = params.number('stddev', 0.05);
      if (mean === 0 && stddev === 0.05) return 'random_normal';
      return tf.initializers.randomNormal({ mean, stddev });
    }
    case 'TruncatedNormal': {
      const mean = params.number('mean', 0);
      const stddev = params.number('stddev', 0.05);
      if (mean === 0 && stddev === 0.05) return 'truncated_normal';
      return tf.initializers.truncatedNormal({ mean, stddev });
    }
    case 'Orthogonal': {
      const gain = params.number('gain', 1);
      return gain === 1 ? 'orthogonal' : tf.initializers.orthogonal({ gain });
    }
    case 'Identity':
    case 'IdentityInitializer': {
      const gain = params.number('gain', 1);
      return gain === 1 ? 'identity' : tf.initializers.identity({ gain });
    }
    case 'Constant':
      return tf.initializers.constant({ value: params.number('value', 0) });
    case 'VarianceScaling':
      return varianceScaling(params);
    default:
      throw new KerasJsonError(
        `${subject}: \`${key}\`: initializer class '${className}' is not supported. Supported classes: ${[
          ...Object.keys(PLAIN_INITIALIZERS),
          'RandomUniform',
          'RandomNormal',
          'TruncatedNormal',
          'Orthogonal',
          'Identity',
          'Constant',
          'VarianceScaling',
        ].join(', ')}.`,
      );
  }
}

function varianceScaling(params: ConfigReader): InitializerSpec {
  const scale = params.number('scale', 1);
  const mode = params.optionalString('mode') ?? 'fan_in';
  // Keras 2 spelled truncated_normal 'normal'.
  const rawDistribution = params.optionalString('distribution') ?? 'truncated_normal';
  const distribution = rawDistribution === 'normal' ? 'truncated_normal' : rawDistribution;
  params.refuseIfSet('input_axes', 'fans over chosen axes are not supported');
  params.refuseIfSet('output_axes', 'fans over chosen axes are not supported');
  const named = VARIANCE_SCALING_NAMES.find(
    ([s, m, d]) => s === scale && m === mode && d === distribution,
  );
  if (named !== undefined) return named[3];
  const fanMode = FAN_MODES[mode];
  if (fanMode === undefined) throw params.error('mode', "must be 'fan_in', 'fan_out' or 'fan_avg'");
  if (distribution === 'uniform') {
    return tf.initializers.varianceScaling({ scale, mode: fanMode, distribution: 'uniform' });
  }
  if (distribution === 'truncated_normal') {
    // Porting note: tfjs draws a truncated normal of stddev sqrt(scale / n); Keras divides that
    // stddev by 0.8796 (the stddev of a unit normal truncated at ±2). Scaling `scale` matches it.
    return tf.initializers.varianceScaling({
      scale: scale / TRUNCATED_NORMAL_STDDEV ** 2,
      mode: fanMode,
      distribution: 'normal',
    });
  }
  throw params.error(
    'distribution',
    "must be 'uniform' or 'truncated_normal' (tfjs has no untruncated normal variance scaling)",
  );
}

// ---------------------------------------------------------------------------------------------
// Dtype policies, regularizers, constraints

/** Policy classes whose config is `{name: <policy>}`. */
const POLICY_CLASSES = ['DTypePolicy', 'FloatDTypePolicy', 'Policy'];

/**
 * Refuses every dtype policy but float32: `"float32"`, null, or
 * `{"class_name": "DTypePolicy", "config": {"name": "float32"}}`.
 */
export function checkFloat32Policy(reader: ConfigReader, key = 'dtype'): void {
  const value = reader.get(key);
  if (value === undefined || value === null || value === 'float32') return;
  if (
    isJsonObject(value) &&
    typeof value.class_name === 'string' &&
    POLICY_CLASSES.includes(value.class_name) &&
    isJsonObject(value.config) &&
    value.config.name === 'float32'
  ) {
    return;
  }
  const policy =
    isJsonObject(value) && isJsonObject(value.config) && typeof value.config.name === 'string'
      ? `'${value.config.name}'${typeof value.class_name === 'string' ? ` (${value.class_name})` : ''}`
      : show(value);
  throw new KerasJsonError(
    `${reader.subject}: \`${key}\` policy ${policy} is not supported; only float32 layers are (other policies compute in another precision).`,
  );
}

/** Refuses non-null regularizers: they add a penalty to the training loss. */
export function refuseRegularizers(reader: ConfigReader, ...keys: string[]): void {
  for (const key of keys) {
    reader.refuseIfSet(key, 'regularizers add a penalty to the loss; not supported yet');
  }
}

/** Refuses non-null constraints: they change the weights after every update. */
export function refuseConstraints(reader: ConfigReader, ...keys: string[]): void {
  for (const key of keys) {
    reader.refuseIfSet(key, 'constraints change the weights after every update; not supported yet');
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes and dtypes

/** A shape as Keras writes it: `[null, 4, 3]` (a Python tuple), nulls for unknown sizes. */
export function readShape(where: string, value: JsonValue | undefined): (number | null)[] {
  const items = isJsonObject(value) && isJsonArray(value.items) ? value.items : value;
  if (!isJsonArray(items)) {
    throw new KerasJsonError(
      `${where}: expected a shape such as [null, 4, 3], received ${show(value)}.`,
    );
  }
  return items.map((d) => {
    if (d === null) return null;
    if (typeof d === 'number' && Number.isInteger(d) && d >= 0) return d;
    throw new KerasJsonError(
      `${where}: expected a shape of non-negative integers and nulls, received ${show(value)}.`,
    );
  });
}

const INTEGER_DTYPES = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'];
const FLOAT_DTYPES = ['float16', 'bfloat16', 'float32', 'float64'];

/**
 * The tfjs dtype of a model input from Keras's input dtype: integers become int32 (Embedding
 * indices), floats float32 (Keras casts float inputs to the float32 layers' compute dtype).
 */
export function inputDtype(reader: ConfigReader, key = 'dtype'): 'float32' | 'int32' {
  const value = reader.get(key);
  if (value === undefined || value === null) return 'float32';
  const name =
    typeof value === 'string'
      ? value
      : isJsonObject(value) && isJsonObject(value.config) && typeof value.config.name === 'string'
        ? value.config.name
        : undefined;
  if (name !== undefined && INTEGER_DTYPES.includes(name)) return 'int32';
  if (name !== undefined && FLOAT_DTYPES.includes(name)) return 'float32';
  throw reader.error(key, 'must be an integer or float input dtype');
}
