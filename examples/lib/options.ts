/**
 * Settings of the examples from environment variables (for short smoke runs) and argv.
 */

/** A bad setting: an environment variable or a command-line option the example cannot use. */
export class SettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingError';
  }
}

/**
 * The positive integer in the environment variable `name`, or `fallback` when it is unset or
 * empty. Throws, naming the variable, for anything else, before any work starts.
 */
export function envPositiveInt(name: string, fallback: number): number {
  return envOptionalPositiveInt(name, fallback) ?? fallback;
}

/**
 * The positive integer in the environment variable `name`, or undefined when it is unset or
 * empty. `example` is the value an error message suggests.
 */
export function envOptionalPositiveInt(name: string, example = 100): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value <= 0) {
    throw new SettingError(
      `${name}: expected a positive integer such as ${example}, received ${JSON.stringify(raw)}.`,
    );
  }
  return value;
}

/**
 * The value of `--name <value>` or `--name=<value>` in the command line, else the environment
 * variable `envName`, else `fallback`.
 */
export function optionValue(flag: string, envName: string, fallback: string): string {
  const args = process.argv.slice(2);
  for (const [i, arg] of args.entries()) {
    if (arg === `--${flag}`) {
      const next = args.at(i + 1);
      if (next === undefined || next.startsWith('--')) {
        throw new SettingError(`--${flag}: expected a value after it, received nothing.`);
      }
      return next;
    }
    if (arg.startsWith(`--${flag}=`)) return arg.slice(flag.length + 3);
  }
  const fromEnv = process.env[envName];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : fallback;
}

/**
 * One of `choices`, from `--name <value>`, the environment variable `envName`, or `fallback`.
 * Throws, listing the choices, for anything else, before any work starts.
 */
export function optionChoice<C extends string>(
  flag: string,
  envName: string,
  choices: readonly C[],
  fallback: C,
): C {
  const value = optionValue(flag, envName, fallback);
  const choice = choices.find((c) => c === value);
  if (choice === undefined) {
    throw new SettingError(
      `--${flag} (or ${envName}): expected one of ${choices.join(', ')}, received ${JSON.stringify(value)}.`,
    );
  }
  return choice;
}

/** Keras's `verbose` levels for `fit`: 0 silent, 1 a progress bar per epoch, 2 one line per epoch. */
export type Verbosity = 0 | 1 | 2;

/** The verbosity in the environment variable `name` (0, 1 or 2), or `fallback` when unset. */
export function envVerbose(name: string, fallback: Verbosity): Verbosity {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim();
  if (value === '0' || value === '1' || value === '2') return Number(value) as Verbosity;
  throw new SettingError(`${name}: expected 0, 1 or 2, received ${JSON.stringify(raw)}.`);
}
