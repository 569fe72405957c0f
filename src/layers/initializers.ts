/**
 * Keras initializers by name, with Keras's default parameters.
 */
import * as tf from '@tensorflow/tfjs';
import { unknownNameError } from '../errors';
import { optionKeys } from '../option_keys';
import { KerasOrthogonal } from './orthogonal';

/** A tfjs weight initializer. */
export type Initializer = ReturnType<typeof tf.initializers.ones>;

/** tfjs's JSON form of an initializer: `{ className: 'GlorotNormal', config: { seed: null } }`. */
export interface SerializedInitializer {
  /** Keras's (or tfjs's) class name of the initializer. */
  className: string;
  /** Its options. */
  config: tf.serialization.ConfigDict;
}

/** The keys of SerializedInitializer (the config's own belong to the initializer's class). */
const SERIALIZED_INITIALIZER_KEYS = optionKeys<SerializedInitializer>({
  className: true,
  config: true,
});

/** An initializer given by Keras name (`'glorot_uniform'`), tfjs name, instance, or tfjs JSON. */
export type InitializerSpec = string | Initializer | SerializedInitializer;

function isInitializer(spec: Initializer | SerializedInitializer): spec is Initializer {
  return spec instanceof tf.serialization.Serializable;
}

/** Rebuilds a tfjs initializer from its JSON form, through tfjs's class registry. */
function deserializeInitializer(subject: string, spec: SerializedInitializer): Initializer {
  SERIALIZED_INITIALIZER_KEYS.check(`${subject} (initializer)`, spec, 'key');
  const registry: Partial<
    Record<
      string,
      [
        tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
        tf.serialization.FromConfigMethod<tf.serialization.Serializable>,
      ]
    >
  > = tf.serialization.SerializationMap.getMap().classNameMap;
  const entry = registry[spec.className];
  if (entry === undefined) {
    throw unknownNameError(subject, 'initializer', spec.className, INITIALIZER_NAMES);
  }
  const [cls, fromConfig] = entry;
  const initializer = fromConfig(cls, spec.config);
  if (!(initializer instanceof tf.serialization.Serializable) || !('apply' in initializer)) {
    throw unknownNameError(subject, 'initializer', spec.className, INITIALIZER_NAMES);
  }
  return initializer as Initializer;
}

/**
 * Keras's variance scaling with a truncated normal: stddev sqrt(scale / n) / 0.8796..., the
 * constant making the truncated draw's variance scale / n.
 *
 * Porting note: tfjs's glorotNormal / heNormal / leCunNormal truncate without that correction,
 * so their weights are 12% smaller than Keras's; the scale here folds the correction in.
 */
function truncatedVarianceScaling(scale: number, mode: 'fanAvg' | 'fanIn'): Initializer {
  const truncationStddev = 0.8796256610342398;
  return tf.initializers.varianceScaling({
    scale: scale / truncationStddev ** 2,
    mode,
    distribution: 'normal',
  });
}

const FACTORIES: Readonly<Partial<Record<string, () => Initializer>>> = {
  zeros: () => tf.initializers.zeros(),
  ones: () => tf.initializers.ones(),
  glorot_uniform: () => tf.initializers.glorotUniform({}),
  glorot_normal: () => truncatedVarianceScaling(1, 'fanAvg'),
  he_uniform: () => tf.initializers.heUniform({}),
  he_normal: () => truncatedVarianceScaling(2, 'fanIn'),
  lecun_uniform: () => tf.initializers.leCunUniform({}),
  lecun_normal: () => truncatedVarianceScaling(1, 'fanIn'),
  orthogonal: () => new KerasOrthogonal(1),
  // Keras's defaults for the plain random initializers: ±0.05 uniform, stddev 0.05 normal.
  random_uniform: () => tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05 }),
  random_normal: () => tf.initializers.randomNormal({ mean: 0, stddev: 0.05 }),
  truncated_normal: () => tf.initializers.truncatedNormal({ mean: 0, stddev: 0.05 }),
  identity: () => tf.initializers.identity({ gain: 1 }),
};

/** Keras's initializer names, as accepted by `*Initializer` options. */
export const INITIALIZER_NAMES: readonly string[] = Object.keys(FACTORIES);

const ALIASES: Readonly<Partial<Record<string, string>>> = {
  glorotUniform: 'glorot_uniform',
  glorotNormal: 'glorot_normal',
  heUniform: 'he_uniform',
  heNormal: 'he_normal',
  leCunUniform: 'lecun_uniform',
  leCunNormal: 'lecun_normal',
  lecunUniform: 'lecun_uniform',
  lecunNormal: 'lecun_normal',
  randomUniform: 'random_uniform',
  randomNormal: 'random_normal',
  truncatedNormal: 'truncated_normal',
  uniform: 'random_uniform',
  normal: 'random_normal',
  zero: 'zeros',
  one: 'ones',
};

/**
 * Checks an initializer option and returns it in canonical form: a Keras name, or the
 * instance unchanged. Throws, listing the known names, for an unknown name.
 */
export function canonicalInitializer(subject: string, spec: InitializerSpec): string | Initializer {
  if (typeof spec !== 'string')
    return isInitializer(spec) ? spec : deserializeInitializer(subject, spec);
  const name = ALIASES[spec] ?? spec;
  if (!(name in FACTORIES)) throw unknownNameError(subject, 'initializer', spec, INITIALIZER_NAMES);
  return name;
}

/** Whether weights are being created as zeros (see `withZeroInitializers`). */
let zerosOnly = false;

/**
 * Runs `fn` with every weight it creates filled with zeros, whatever the layer's initializer:
 * for weights that are loaded right after (a Keras file's), which skips e.g. the orthogonal
 * initializer's QR decompositions. The layers keep their initializers, and their configs (and a
 * saved file) report them.
 */
export function withZeroInitializers<T>(fn: () => T): T {
  const previous = zerosOnly;
  zerosOnly = true;
  try {
    return fn();
  } finally {
    zerosOnly = previous;
  }
}

/** A tfjs initializer for a canonical spec (see `canonicalInitializer`). */
export function makeInitializer(spec: string | Initializer): Initializer {
  if (zerosOnly) return tf.initializers.zeros();
  if (typeof spec !== 'string') return spec;
  const factory = FACTORIES[spec];
  if (factory === undefined)
    throw unknownNameError('initializer', 'initializer', spec, INITIALIZER_NAMES);
  return factory();
}

/** The JSON form of an initializer option for `getConfig`. */
export function serializeInitializer(
  spec: string | Initializer,
): string | tf.serialization.ConfigDict {
  if (typeof spec === 'string') return spec;
  return { className: spec.getClassName(), config: spec.getConfig() };
}
