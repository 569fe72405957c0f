/**
 * `kerasOptimizer(name, config)`: an optimizer by Keras class name (or its snake/camel/lower
 * case spelling) from Keras's `optimizer.get_config()` (snake_case keys, as fixtures and saved
 * Keras models hold them) or from this package's camelCase options.
 *
 * Porting note: DESIGN.md keeps snake_case <-> camelCase in src/keras/; optimizer configs are
 * the exception, read here, because an optimizer config is all Keras and nothing else in it
 * needs src/keras/'s layer mapping.
 */
import { ValueError, formatNames } from '../errors';
import { type OptionKeys, camelCase } from '../option_keys';
import { ADADELTA_OPTIONS, Adadelta } from './adadelta';
import { ADAGRAD_OPTIONS, Adagrad } from './adagrad';
import { ADAM_OPTIONS, Adam } from './adam';
import { ADAMAX_OPTIONS, Adamax } from './adamax';
import type { KerasOptimizer, KerasOptimizerArgs } from './optimizer';
import type { OptionBag } from './options';
import { RMSPROP_OPTIONS, RMSprop } from './rmsprop';
import { SGD, SGD_OPTIONS } from './sgd';

/** The Keras optimizer classes `kerasOptimizer` builds. */
export const KERAS_OPTIMIZER_CLASSES = [
  'SGD',
  'Adam',
  'RMSprop',
  'Adagrad',
  'Adadelta',
  'Adamax',
] as const;
/** A Keras optimizer class name this package builds (`'Adam'`, `'SGD'`, ...). */
export type KerasOptimizerClass = (typeof KERAS_OPTIMIZER_CLASSES)[number];

/** Each class, its constructor and its options table. */
const CLASSES: Readonly<
  Record<
    KerasOptimizerClass,
    { make: (args: OptionBag) => KerasOptimizer; keys: OptionKeys<KerasOptimizerArgs> }
  >
> = {
  SGD: { make: (a) => new SGD(a), keys: SGD_OPTIONS },
  Adam: { make: (a) => new Adam(a), keys: ADAM_OPTIONS },
  RMSprop: { make: (a) => new RMSprop(a), keys: RMSPROP_OPTIONS },
  Adagrad: { make: (a) => new Adagrad(a), keys: ADAGRAD_OPTIONS },
  Adadelta: { make: (a) => new Adadelta(a), keys: ADADELTA_OPTIONS },
  Adamax: { make: (a) => new Adamax(a), keys: ADAMAX_OPTIONS },
};

/** `rm_sprop`, `RMSProp`, `rmsprop` -> `rmsprop`. */
function nameKey(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

/** The class for a name in any of Keras's spellings, or undefined. */
export function kerasOptimizerClass(name: string): KerasOptimizerClass | undefined {
  return KERAS_OPTIMIZER_CLASSES.find((c) => nameKey(c) === nameKey(name));
}

/**
 * A Keras optimizer: `kerasOptimizer('Adam', { learning_rate: 0.01 })`,
 * `kerasOptimizer('rmsprop', { learningRate: 0.01, centered: true })`, or a class name and
 * `optimizer.get_config()` from Keras. Keys may be Keras's snake_case or camelCase (not both
 * for one option). Throws a ValueError for an unknown name or key, a bad value, or an option
 * this package does not implement (`use_ema: true`, `loss_scale_factor`,
 * `gradient_accumulation_steps`, a nonzero `decay`); `null` means "not set", as in Keras.
 */
export function kerasOptimizer(
  name: string,
  config: OptionBag = {},
  subject = 'kerasOptimizer',
): KerasOptimizer {
  const className = typeof name === 'string' ? kerasOptimizerClass(name) : undefined;
  if (className === undefined) {
    throw new ValueError(
      `${subject}: unknown optimizer ${JSON.stringify(name)}. Known optimizers: ${formatNames(KERAS_OPTIMIZER_CLASSES)} (any case; 'rmsprop' and Keras's 'rm_sprop' too).`,
    );
  }
  if (typeof config !== 'object' || (config as unknown) === null || Array.isArray(config)) {
    throw new ValueError(
      `${subject}: expected the ${className} options as an object such as { learning_rate: 0.01 }, received ${JSON.stringify(config)}.`,
    );
  }
  const { make, keys } = CLASSES[className];
  const isOption = (key: string): boolean => keys.known.includes(key) || key in keys.notYet;
  const args: Record<string, unknown> = {};
  const given = new Map<string, string>();
  for (const [key, value] of Object.entries(config)) {
    // Keras's snake_case names become the camelCase ones the class checks; any other key
    // reaches the class as it is, which refuses it by name.
    const camel = isOption(key) || !isOption(camelCase(key)) ? key : camelCase(key);
    const earlier = given.get(camel);
    if (earlier !== undefined) {
      throw new ValueError(
        `${subject}: ${className} option given twice, as ${JSON.stringify(earlier)} and ${JSON.stringify(key)}.`,
      );
    }
    given.set(camel, key);
    args[camel] = value;
  }
  try {
    return make(args);
  } catch (err) {
    if (err instanceof ValueError) throw new ValueError(`${subject}: ${err.message}`);
    throw err;
  }
}
