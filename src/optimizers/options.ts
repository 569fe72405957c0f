/**
 * Reading and checking optimizer options, and the Keras names of each option.
 *
 * Options arrive typed from TypeScript, or as plain objects from configs (`getConfig()`,
 * tfjs's `fromConfig`, Keras's `optimizer.get_config()` through `kerasOptimizer`): every value
 * is checked at run time and an unknown key is an error that lists the known ones.
 */
import { ValueError, formatNames } from '../errors';

/** An options object as it may arrive from a config. */
export type OptionBag = Readonly<Record<string, unknown>>;

/** The options every Keras optimizer takes (BaseOptimizer), camelCase -> Keras's snake_case. */
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

/**
 * Options Keras accepts that this package takes only with values that leave the update
 * unchanged (each is checked by `checkInertOptions`). `decay` is Keras 2's.
 */
export const INERT_KEYS: readonly string[] = [
  'useEma',
  'emaMomentum',
  'emaOverwriteFrequency',
  'lossScaleFactor',
  'gradientAccumulationSteps',
  'decay',
];

/** A value as messages show it: JSON, with NaN and the infinities by name. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value);
}

/** Throws unless every key of `args` is known; the message lists the known keys. */
export function checkKeys(subject: string, args: OptionBag, known: readonly string[]): void {
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) {
      throw new ValueError(
        `${subject}: unknown option ${JSON.stringify(key)}. Known options: ${formatNames(known.filter((k) => !INERT_KEYS.includes(k)))}.`,
      );
    }
  }
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

/**
 * Keras options that would change the update if set: accepted only with their inert values
 * (the moving average of the weights off, no loss scaling, no gradient accumulation, Keras 2's
 * `decay` 0).
 */
export function checkInertOptions(subject: string, args: OptionBag): void {
  const unsupported = (key: string, why: string): ValueError =>
    new ValueError(`${subject}: \`${key}: ${show(args[key])}\` is not supported (${why}).`);
  // Porting note: Keras implements these three; here they are refused rather than ignored.
  const useEma = booleanOption(subject, args, 'useEma', false);
  if (useEma) throw unsupported('useEma', 'the moving average of the weights is not implemented');
  nullableNumberOption(subject, args, 'emaMomentum', 'a number in [0, 1]', (v) => v >= 0 && v <= 1);
  nullableNumberOption(subject, args, 'emaOverwriteFrequency', 'a positive integer', (v) =>
    Number.isInteger(v),
  );
  if (args.lossScaleFactor !== undefined && args.lossScaleFactor !== null) {
    throw unsupported('lossScaleFactor', 'the fit loop does not scale the loss');
  }
  if (args.gradientAccumulationSteps !== undefined && args.gradientAccumulationSteps !== null) {
    throw unsupported('gradientAccumulationSteps', 'gradient accumulation is not implemented');
  }
  // Porting note: Keras 3 warns and ignores a non-null `decay`; here a nonzero one is an error,
  // since a config that has it comes from Keras 2, where it lowered the learning rate.
  if (args.decay !== undefined && args.decay !== null && args.decay !== 0) {
    throw unsupported(
      'decay',
      "Keras 3 ignores Keras 2's `decay`; leave it out, or lower the learning rate yourself",
    );
  }
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
  checkInertOptions(subject, args);
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
