/**
 * The data given to fit / evaluate / predict: conversion to tensors and every check that runs
 * before any work, with messages that say what was expected and what was received.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, checkPositiveInteger, formatShape } from '../errors';
import { sequenceRankMessage } from '../layers/rnn/sequence_shape';
import type { Loss } from './losses';

/** Numbers nested in arrays, one level per axis: `[[1, 2], [3, 4]]`. */
export type NestedNumbers = number[] | NestedNumbers[];

/** Data as `fit`, `evaluate` and `predict` accept it: a tensor or nested arrays of numbers. */
export type DataInput = tf.Tensor | NestedNumbers;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** The shape of a rectangular nested array of numbers; throws naming the first irregularity. */
function nestedShape(subject: string, name: string, value: unknown): number[] {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        throw new ValueError(
          `${subject}: expected ${name} to be a tf.Tensor or a nested array of numbers, received ${describe(node)} at ${name}${path}.`,
        );
      }
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new ValueError(
        `${subject}: expected ${name} to be a rectangular nested array (every row at depth ${depth} of length ${shape[depth]}), received ${Array.isArray(node) ? `length ${node.length}` : describe(node)} at ${name}${path}.`,
      );
    }
    node.forEach((child, i) => {
      walk(child, depth + 1, `${path}[${i}]`);
    });
  };
  walk(value, 0, '');
  return shape;
}

/** A tensor for `value`, and whether the caller owns it (and must dispose it). */
export interface OwnedTensor {
  tensor: tf.Tensor;
  owned: boolean;
}

/** Converts x or y to a float32/int32 tensor, or throws saying what was received. */
export function toTensor(subject: string, name: string, value: unknown): OwnedTensor {
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) {
      throw new ValueError(`${subject}: ${name} is a disposed tensor.`);
    }
    if (value.dtype !== 'float32' && value.dtype !== 'int32') {
      throw new ValueError(
        `${subject}: expected ${name} to hold numbers (float32 or int32), received a ${value.dtype} tensor.`,
      );
    }
    return { tensor: value as tf.Tensor, owned: false };
  }
  if (!Array.isArray(value)) {
    throw new ValueError(
      `${subject}: expected ${name} to be a tf.Tensor or a nested array of numbers, received ${describe(value)}.`,
    );
  }
  const shape = nestedShape(subject, name, value);
  return { tensor: tf.tensor(value.flat(Infinity) as number[], shape, 'float32'), owned: true };
}

/** Throws unless the tensor has at least one sample. */
export function checkNotEmpty(subject: string, name: string, t: tf.Tensor): void {
  if (t.rank === 0 || t.shape[0] === 0) {
    throw new ValueError(
      `${subject}: expected ${name} to hold at least one sample on its first axis, received shape ${formatShape(t.shape)}.`,
    );
  }
}

/** Throws at the first NaN or infinity, naming the sample it is in. */
export function checkFinite(subject: string, name: string, t: tf.Tensor): void {
  const values = t.dataSync();
  const samples = t.shape.at(0) ?? 0;
  const perSample = samples === 0 ? 1 : t.size / samples;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0;
    if (!Number.isFinite(v)) {
      throw new ValueError(
        `${subject}: expected ${name} to hold finite numbers, received ${String(v)} in sample ${Math.floor(i / perSample)} (flat index ${i}). Remove or impute missing values before training.`,
      );
    }
  }
}

/** What the checks need to know about the model. */
export interface ModelInputInfo {
  /** The model's input shape with the batch axis (`[null, 60, 1]`), or null before it is built. */
  inputShape: readonly (number | null)[] | null;
  /** The first layer's class name and name, for messages. */
  firstLayer: string;
  /** Whether the first layer is recurrent (wants `[samples, timesteps, features]`). */
  recurrentFirst: boolean;
  /** The vocabulary size when the first layer is an Embedding. */
  embeddingInputDim: number | null;
}

/** Throws unless x fits the model's input: rank, then every axis but the batch. */
export function checkX(subject: string, x: tf.Tensor, info: ModelInputInfo): void {
  checkNotEmpty(subject, 'x', x);
  const expected = info.inputShape;
  const wantedRank = expected?.length ?? (info.recurrentFirst ? 3 : null);
  if (wantedRank !== null && x.rank !== wantedRank) {
    if (info.recurrentFirst) {
      throw new ValueError(sequenceRankMessage(`${subject}: x for ${info.firstLayer}`, x.shape));
    }
    throw new ValueError(
      `${subject}: expected x of rank ${wantedRank}, the model's input shape ${formatShape(expected ?? [])}, received shape ${formatShape(x.shape)}.`,
    );
  }
  if (expected !== null) {
    for (let axis = 1; axis < expected.length; axis++) {
      const want = expected[axis];
      if (want != null && x.shape[axis] !== want) {
        const what = info.recurrentFirst && axis === 2 ? ' (features per step)' : '';
        throw new ValueError(
          `${subject}: expected x of shape ${formatShape(expected)} (the model's input; ${info.firstLayer}), received shape ${formatShape(x.shape)}: axis ${axis}${what} is ${x.shape[axis]}, not ${want}.`,
        );
      }
    }
  }
  if (info.embeddingInputDim !== null) {
    checkIndices(
      subject,
      'x',
      x,
      info.embeddingInputDim,
      `${info.firstLayer} (inputDim ${info.embeddingInputDim})`,
    );
  }
}

/** Throws unless every value is an integer in [0, limit). */
function checkIndices(
  subject: string,
  name: string,
  t: tf.Tensor,
  limit: number,
  what: string,
): void {
  const values = t.dataSync();
  const perSample = t.size / (t.shape[0] ?? 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0;
    if (!Number.isInteger(v) || v < 0 || v >= limit) {
      throw new ValueError(
        `${subject}: expected ${name} to hold integer indices in [0, ${limit}) for ${what}, received ${String(v)} in sample ${Math.floor(i / perSample)} (flat index ${i}).`,
      );
    }
  }
}

function sameDims(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((d, i) => i === 0 || d == null || b[i] == null || d === b[i]);
}

/**
 * Throws unless y fits the model's output for this loss:
 * sample count, shape as the loss reads it, and class indices for the sparse crossentropy.
 */
export function checkY(
  subject: string,
  y: tf.Tensor,
  x: tf.Tensor,
  outputShape: readonly (number | null)[],
  loss: Loss,
  what = `the loss '${loss.name}'`,
): void {
  checkNotEmpty(subject, 'y', y);
  if (y.shape[0] !== x.shape[0]) {
    throw new ValueError(
      `${subject}: expected x and y to hold the same number of samples, received ${x.shape[0]} in x (shape ${formatShape(x.shape)}) and ${y.shape[0]} in y (shape ${formatShape(y.shape)}).`,
    );
  }
  const classes = outputShape.at(-1) ?? null;
  const out = formatShape(outputShape);
  switch (loss.targetKind) {
    case 'custom':
      return;
    case 'sparse': {
      const labels = outputShape.slice(0, -1);
      if (!sameDims(y.shape, labels) && !sameDims(y.shape, [...labels, 1])) {
        throw new ValueError(
          `${subject}: ${what} expects y to hold one class index per prediction, shape ${formatShape(labels)} (the model's output ${out} without its class axis), received shape ${formatShape(y.shape)}.${y.rank === outputShape.length && y.shape.at(-1) === classes ? " For one-hot y, use 'categorical_crossentropy'." : ''}`,
        );
      }
      if (classes !== null)
        checkIndices(subject, 'y', y, classes, `${what} (the model outputs ${classes} classes)`);
      return;
    }
    case 'categorical':
      if (!sameDims(y.shape, outputShape)) {
        const hint =
          y.rank === outputShape.length - 1 ||
          (y.rank === outputShape.length && y.shape.at(-1) === 1)
            ? " For integer class labels, use 'sparse_categorical_crossentropy'."
            : '';
        throw new ValueError(
          `${subject}: ${what} expects y of the model's output shape ${out} (one-hot), received shape ${formatShape(y.shape)}.${hint}`,
        );
      }
      return;
    case 'elementwise': {
      const ok =
        sameDims(y.shape, outputShape) ||
        (y.shape.at(-1) === 1 && sameDims(y.shape.slice(0, -1), outputShape)) ||
        (classes === 1 && sameDims(y.shape, outputShape.slice(0, -1)));
      if (!ok) {
        throw new ValueError(
          `${subject}: ${what} expects y of the model's output shape ${out}, received shape ${formatShape(y.shape)}.`,
        );
      }
      return;
    }
  }
}

/** Throws unless every value of y is a class index in [0, classes) (sparse accuracy). */
export function checkSparseLabels(
  subject: string,
  y: tf.Tensor,
  classes: number,
  what: string,
): void {
  checkIndices(subject, 'y', y, classes, what);
}

/** Throws unless `value` is a non-negative integer. */
export function checkNonNegativeInteger(subject: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ValueError(
      `${subject}: expected \`${name}\` to be a non-negative integer, received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Throws unless `verbose` is 0, 1 or 2. */
export function checkVerbose(subject: string, value: unknown): 0 | 1 | 2 {
  if (value !== 0 && value !== 1 && value !== 2) {
    throw new ValueError(
      `${subject}: expected \`verbose\` to be 0 (silent), 1 (progress bar) or 2 (one line per epoch), received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** Throws unless `batchSize` is a positive integer. */
export function checkBatchSize(subject: string, value: unknown): number {
  return checkPositiveInteger(subject, 'batchSize', value);
}

/** Throws unless `value` is a boolean. */
export function checkBoolean(subject: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new ValueError(
      `${subject}: expected \`${name}\` to be true or false, received ${JSON.stringify(value)}.`,
    );
  }
  return value;
}
