/**
 * A layer's initializer option as Keras 3 writes it (`{"module": "keras.initializers",
 * "class_name": "GlorotUniform", "config": {"seed": null}, ...}`): the inverse of
 * keras_values.ts's `readInitializer`. Seeds are written as null: tfjs's and Keras's random
 * streams differ, so a seed would not reproduce the draw (the reader ignores them too).
 */
import { ValueError } from '../errors';
import type { Initializer } from '../layers/initializers';
import type { JsonObject } from './keras_json';

/** Keras's stddev correction for a truncated normal (see keras_values.ts's varianceScaling). */
const TRUNCATED_NORMAL_STDDEV = 0.8796256610342398;

/** The VarianceScaling family's config keys Keras 3.15 writes besides its own (fans over all axes). */
const FAN_DEFAULTS: JsonObject = { seed: null, input_axes: null, output_axes: null };

/** This package's initializer names, as Keras's classes and their default configs. */
const NAMED: Readonly<Record<string, [string, JsonObject]>> = {
  zeros: ['Zeros', {}],
  ones: ['Ones', {}],
  glorot_uniform: ['GlorotUniform', FAN_DEFAULTS],
  glorot_normal: ['GlorotNormal', FAN_DEFAULTS],
  he_uniform: ['HeUniform', FAN_DEFAULTS],
  he_normal: ['HeNormal', FAN_DEFAULTS],
  lecun_uniform: ['LecunUniform', FAN_DEFAULTS],
  lecun_normal: ['LecunNormal', FAN_DEFAULTS],
  orthogonal: ['Orthogonal', { seed: null, gain: 1 }],
  random_uniform: ['RandomUniform', { seed: null, minval: -0.05, maxval: 0.05 }],
  random_normal: ['RandomNormal', { seed: null, mean: 0, stddev: 0.05 }],
  truncated_normal: ['TruncatedNormal', { seed: null, mean: 0, stddev: 0.05 }],
  identity: ['Identity', {}],
};

const FAN_MODES: Readonly<Partial<Record<string, string>>> = {
  fanIn: 'fan_in',
  fanOut: 'fan_out',
  fanAvg: 'fan_avg',
};

function serialized(className: string, config: JsonObject): JsonObject {
  return { module: 'keras.initializers', class_name: className, config, registered_name: null };
}

/** 15 significant digits: a scale multiplied back by the correction reads as Keras wrote it. */
function tidy(x: number): number {
  return Number(x.toPrecision(15));
}

function numberIn(config: Record<string, unknown>, key: string, fallback: number): number {
  const value = config[key];
  return typeof value === 'number' ? value : fallback;
}

/** A tfjs VarianceScaling (or a subclass: GlorotUniform, HeNormal, ...) as Keras's. */
function varianceScaling(config: Record<string, unknown>): JsonObject | undefined {
  const mode = FAN_MODES[String(config.mode)];
  const scale = numberIn(config, 'scale', 1);
  if (mode === undefined) return undefined;
  if (config.distribution === 'uniform') {
    return {
      seed: null,
      scale,
      mode,
      distribution: 'uniform',
      input_axes: null,
      output_axes: null,
    };
  }
  // tfjs's 'normal' truncates without Keras's correction: Keras's truncated_normal of the
  // scale times the correction squared draws the same distribution.
  if (config.distribution === 'normal' || config.distribution === 'truncatedNormal') {
    return {
      seed: null,
      scale: tidy(scale * TRUNCATED_NORMAL_STDDEV ** 2),
      mode,
      distribution: 'truncated_normal',
      input_axes: null,
      output_axes: null,
    };
  }
  return undefined;
}

/** A tfjs initializer object as a Keras class and config, or undefined when Keras has none. */
function fromObject(initializer: Initializer): [string, JsonObject] | undefined {
  const className = initializer.getClassName();
  const config = initializer.getConfig() as Record<string, unknown>;
  const gain = numberIn(config, 'gain', 1);
  switch (className) {
    case 'Zeros':
    case 'Ones':
      return [className, {}];
    case 'Constant':
      return ['Constant', { value: numberIn(config, 'value', 0) }];
    case 'RandomUniform':
      return [
        className,
        {
          seed: null,
          minval: numberIn(config, 'minval', -0.05),
          maxval: numberIn(config, 'maxval', 0.05),
        },
      ];
    case 'RandomNormal':
    case 'TruncatedNormal':
      return [
        className,
        { seed: null, mean: numberIn(config, 'mean', 0), stddev: numberIn(config, 'stddev', 0.05) },
      ];
    case 'Orthogonal':
    case 'KerasOrthogonal':
      return ['Orthogonal', { seed: null, gain }];
    case 'Identity':
      return ['Identity', gain === 1 ? {} : { gain }];
    default: {
      const scaling = varianceScaling(config);
      return scaling === undefined ? undefined : ['VarianceScaling', scaling];
    }
  }
}

/**
 * The initializer option `key` (`'kernelInitializer'`) holding `spec`, as Keras writes it.
 * Throws, naming the option and the class, for an initializer Keras has no class for.
 */
export function initializerToKeras(
  subject: string,
  key: string,
  spec: string | Initializer,
): JsonObject {
  const found = typeof spec === 'string' ? NAMED[spec] : fromObject(spec);
  if (found === undefined) {
    const what = typeof spec === 'string' ? `'${spec}'` : `of class ${spec.getClassName()}`;
    throw new ValueError(
      `${subject}: its ${key} ${what} has no Keras initializer to write; use one of Keras's (${Object.keys(NAMED).join(', ')}) or tf.initializers' randomUniform, randomNormal, truncatedNormal, constant, orthogonal, identity or varianceScaling.`,
    );
  }
  const [className, config] = found;
  return serialized(className, config);
}
