/**
 * Errors raised for bad arguments and bad shapes, and the shared wording of their messages.
 *
 * Messages read: subject, expectation, what was received. For example
 * `SimpleRNN: expected input of rank 3 [samples, timesteps, features], received shape [2, 3].`
 */

/** Keras's ValueError: an argument or an input does not fit what the callee accepts. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/** A shape as Keras prints it in messages: `[2, 1, 3]`, with `None` for an unknown size. */
export function formatShape(shape: readonly (number | null | undefined)[]): string {
  return `[${shape.map((d) => (d == null ? 'None' : String(d))).join(', ')}]`;
}

/** A list of known names for "unknown X" messages: `'a', 'b', 'c'`. */
export function formatNames(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

/** The error for a name that is not among the known ones; lists the known ones. */
export function unknownNameError(
  subject: string,
  what: string,
  received: unknown,
  known: readonly string[],
): ValueError {
  return new ValueError(
    `${subject}: unknown ${what} ${JSON.stringify(received)}. Known ${what}s: ${formatNames(known)}.`,
  );
}

/** Throws unless `value` is a positive integer. */
export function checkPositiveInteger(subject: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(
      `${subject}: expected \`${name}\` to be a positive integer, received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Throws unless `value` is a number in [0, 1). Used for dropout rates. */
export function checkRate(subject: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw new ValueError(
      `${subject}: expected \`${name}\` to be a number in [0, 1), received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}
