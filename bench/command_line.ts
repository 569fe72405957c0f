/**
 * What the bench scripts' command lines share: `--flag value` and `--flag=value` arguments,
 * their usage errors, and printing the usage on --help or a bad argument.
 */
import * as path from 'node:path';

export class UsageError extends Error {}

export function positiveInt(flag: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) {
    throw new UsageError(`${flag}: expected an integer >= ${min}, received ${value ?? 'nothing'}`);
  }
  return n;
}

/** One name out of `known`. */
export function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  known: readonly T[],
): T {
  if (!(known as readonly (string | undefined)[]).includes(value)) {
    throw new UsageError(
      `${flag}: expected one of ${known.join(', ')}, received ${value ?? 'nothing'}`,
    );
  }
  return value as T;
}

/** A comma-separated list of names out of `known`. */
export function list<T extends string>(
  flag: string,
  value: string | undefined,
  known: readonly T[],
): T[] {
  if (value === undefined || value === '') throw new UsageError(`${flag}: expected a list`);
  const names = value.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(known as readonly string[]).includes(name)) {
      throw new UsageError(`${flag}: unknown '${name}'; known: ${known.join(', ')}`);
    }
  }
  return names as T[];
}

/** The absolute path that `--out` names. */
export function outFile(value: string | undefined): string {
  if (value === undefined) throw new UsageError('--out: expected a file name');
  return path.resolve(value);
}

/**
 * Calls `handle` with each flag of `argv` and a function that takes its value (the part after
 * `=`, else the next argument); returns 'help' at --help or -h. `handle` returns false for a
 * flag it does not know, which is a UsageError.
 */
export function eachFlag(
  argv: readonly string[],
  handle: (flag: string, value: () => string | undefined) => boolean,
): 'help' | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (flag === '--help' || flag === '-h') return 'help';
    if (!handle(flag, () => inline ?? argv[++i])) {
      throw new UsageError(`unknown argument '${arg}' (see --help)`);
    }
  }
  return undefined;
}

/**
 * The options `parse` makes of the command line, or the exit code after printing the usage:
 * 0 for --help, 2 (with the error) for a bad argument.
 */
export function optionsOrExitCode<T>(
  command: string,
  usage: string,
  parse: () => T | 'help',
): T | number {
  try {
    const parsed = parse();
    if (parsed !== 'help') return parsed;
    process.stdout.write(usage);
    return 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${command}: ${err.message}\n\n${usage}`);
    return 2;
  }
}
