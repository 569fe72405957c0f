/** The checks the Keras callbacks share: numeric options, and the model fit gave them. */
import { ValueError } from '../errors';
import type { CallbackModel } from '../models/training';

/** `value` as a finite number, else an error naming `key`. (Counts: models/data's checkNonNegativeInteger.) */
export function checkNumber(subject: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(
      `${subject}: expected \`${key}\` to be a finite number, received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** `value` as a boolean, else an error naming `key`. */
export function checkFlag(subject: string, key: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new ValueError(
      `${subject}: expected \`${key}\` to be a boolean, received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** The model `fit` gave the callback (`setModel`); an error when it is used outside `fit`. */
export function requireModel(subject: string, model: CallbackModel | null): CallbackModel {
  if (model === null) {
    throw new ValueError(
      `${subject}: no model yet; pass the callback to fit({ callbacks: [...] }), which gives it the model it trains.`,
    );
  }
  return model;
}

/** The value of `key` in `logs`, or undefined when the logs lack it. */
export function logValue(logs: Readonly<Record<string, number>>, key: string): number | undefined {
  return Object.hasOwn(logs, key) ? logs[key] : undefined;
}
