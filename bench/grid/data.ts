/**
 * The training data of a grid point, made once in the parent: this package's model trains on
 * it as tensors, and the same numbers go to the Keras worker. Plain arrays (bench/data.ts's
 * types and generator), no tfjs.
 *
 * Inputs and regression targets are uniform in [0, 1) in steps of 1/256: a float32 that JSON
 * writes in at most 10 characters ("0.00390625"), where a float32 of all its 24 bits takes ~19;
 * the largest points send millions of them to Keras as one JSON line. Speed does not depend on
 * the values.
 *
 * - cell points: x [samples, steps, features], y [samples, 1].
 * - embedding-classifier: x word ids [samples, 80] in [1, 2000), y classes [samples] in [0, 4).
 * - tagger: x [samples, 30, 8], y a tag per step [samples, 30] in [0, 8).
 */
import { type BenchArray, type BenchArrays, uniform } from '../data';
import { EXTRA_MODELS, type GridPoint } from './points';

/** The quantum of the uniform values (see the file's comment). */
const LEVELS = 256;

function uniformArray(next: () => number, shape: number[]): BenchArray {
  const length = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length }, () => Math.floor(next() * LEVELS) / LEVELS);
  return { values, shape, dtype: 'float32' };
}

function integerArray(next: () => number, shape: number[], low: number, high: number): BenchArray {
  const length = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length }, () => low + Math.floor(next() * (high - low)));
  return { values, shape, dtype: 'int32' };
}

/** The data of `point` with `samples` samples: the same numbers every run. */
export function gridArrays(point: GridPoint, samples: number): BenchArrays {
  const next = uniform(1234);
  if (point.kind === 'embedding-classifier') {
    const { steps, vocabulary, classes } = EXTRA_MODELS['embedding-classifier'];
    return {
      x: integerArray(next, [samples, steps], 1, vocabulary),
      y: integerArray(next, [samples], 0, classes),
    };
  }
  if (point.kind === 'tagger') {
    const { steps, features, tags } = EXTRA_MODELS.tagger;
    return {
      x: uniformArray(next, [samples, steps, features]),
      y: integerArray(next, [samples, steps], 0, tags),
    };
  }
  return {
    x: uniformArray(next, [samples, point.steps, point.features]),
    y: uniformArray(next, [samples, 1]),
  };
}
