/**
 * Reading and checking optimizer options, and the Keras names of each option.
 *
 * Options arrive typed from TypeScript, or as plain objects from configs (`getConfig()`,
 * tfjs's `fromConfig`, Keras's `optimizer.get_config()` through `kerasOptimizer`): every value
 * is checked at run time; the keys are checked by each class's table (KERAS_OPTIMIZER_OPTIONS).
 */
import { ValueError } from '../errors';

/** An options object as it may arrive from a config. */
export type OptionBag = Readonly<Record<string, unknown>>;

/**
 * The options every Keras optimizer takes (BaseOptimizer), camelCase -> Keras's snake_case, in
 * the order of Keras's `get_config()`.
 */
export const BASE_KERAS_KEYS: Readonly<Record<string, string>> = {
  name: 'name',
  learningRate: 'learning_rate',
  weightDecay: 'weight_decay',
  clipnorm: 'clipnorm',
  globalClipnorm: 'global_clipnorm',
  clipvalue: 'clipvalue',
  useEma: 'use_ema',
  emaMomentum: 'ema_momentum',
  emaOverwriteFrequency: 'ema_overwrite_frequency',
  lossScaleFactor: 'loss_scale_factor',
  gradientAccumulationSteps: 'gradient_accumulation_steps',
};

/** A value as messages show it: JSON, with NaN and the infinities by name. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value);
}

/** A number option that may be absent; `check` says what it must satisfy. */
export function numberOption(
  subject: string,
  args: OptionBag,
  key: string,
  fallback: number,
  expectation: string,
  check: (v: number) => boolean,
): number {
  const value = args[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    throw new ValueError(
      `${subject}: expected \`${key}\` to be ${expectation}, received ${show(value)}.`,
    );
  }
  return value;
}

/** A number option that may also be null (off). */
export function nullableNumberOption(
  subject: string,
  args: OptionBag,
  key: string,
  expectation: string,
  check: (v: number) => boolean,
): number | null {
  const value = args[key];
  if (value === undefined || value === null) return null;
  return numberOption(subject, args, key, 0, `${expectation} or null`, check);
}

/** A boolean option. */
export function booleanOption(
  subject: string,
  args: OptionBag,
  key: string,
  fallback: boolean,
): boolean {
  const value = args[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new ValueError(
      `${subject}: expected \`${key}\` to be a boolean, received ${show(value)}.`,
    );
  }
  return value;
}

/** A string option. */
export function stringOption(
  subject: string,
  args: OptionBag,
  key: string,
  fallback: string,
): string {
  const value = args[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') {
    throw new ValueError(
      `${subject}: expected \`${key}\` to be a non-empty string, received ${show(value)}.`,
    );
  }
  return value;
}

/** The options shared by every optimizer, read and checked. */
export interface BaseOptions {
  readonly name: string;
  readonly learningRate: number;
  readonly weightDecay: number | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
}

const nonNegative = (v: number): boolean => v >= 0;

/** Reads the options every optimizer shares; `defaults` are the class's. */
export function readBaseOptions(
  subject: string,
  args: OptionBag,
  defaults: { name: string; learningRate: number },
): BaseOptions {
  const clipnorm = nullableNumberOption(subject, args, 'clipnorm', 'a number >= 0', nonNegative);
  const clipvalue = nullableNumberOption(subject, args, 'clipvalue', 'a number >= 0', nonNegative);
  const globalClipnorm = nullableNumberOption(
    subject,
    args,
    'globalClipnorm',
    'a number >= 0',
    nonNegative,
  );
  const set = [
    ['clipnorm', clipnorm],
    ['clipvalue', clipvalue],
    ['globalClipnorm', globalClipnorm],
  ].filter(([, v]) => v !== null);
  if (set.length > 1) {
    throw new ValueError(
      `${subject}: only one of \`clipnorm\`, \`clipvalue\` and \`globalClipnorm\` can be set, received ${set.map(([k, v]) => `${String(k)}: ${String(v)}`).join(', ')}.`,
    );
  }
  return {
    name: stringOption(subject, args, 'name', defaults.name),
    learningRate: numberOption(
      subject,
      args,
      'learningRate',
      defaults.learningRate,
      'a number >= 0',
      nonNegative,
    ),
    weightDecay: nullableNumberOption(subject, args, 'weightDecay', 'a number >= 0', nonNegative),
    clipnorm,
    clipvalue,
    globalClipnorm,
  };
}
