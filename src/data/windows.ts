/**
 * Sliding windows over a time series, the course's
 *
 *   for i in range(60, len(series)):
 *       x.append(series[i - 60:i, 0]); y.append(series[i, 0])
 *
 * so that a recurrent model learns the value at step t from the `windowLength` values before it.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, checkPositiveInteger, formatShape } from '../errors';

/** The windows of a series: inputs `x` [n, windowLength, 1] and targets `y` [n, 1]. */
export interface Windows {
  /** `x[i] = series[i .. i + windowLength - 1]`, one feature per step: [n, windowLength, 1]. */
  x: tf.Tensor3D;
  /** `y[i] = series[i + windowLength]`, the value right after window i: [n, 1]. */
  y: tf.Tensor2D;
}

/** A series of numbers: a plain array or a typed array. */
export type Series = readonly number[] | Float32Array | Float64Array;

/**
 * Cuts `series` into every window of `windowLength` consecutive values with the value that
 * follows it as the target: `n = series.length - windowLength` samples. The caller owns (and
 * disposes) the two tensors.
 *
 * Throws, before allocating anything, when `windowLength` is not a positive integer, the series
 * has no value after its first window (`series.length <= windowLength`), or a value is not a
 * finite number (the message gives its index).
 */
export function slidingWindows(series: Series, windowLength: number): Windows {
  const subject = 'slidingWindows';
  checkPositiveInteger(subject, 'windowLength', windowLength);
  checkSeries(subject, series);
  const n = series.length - windowLength;
  if (n < 1) {
    throw new ValueError(
      `${subject}: expected a series longer than windowLength ${windowLength} (a window and the value after it), received ${series.length} values.`,
    );
  }
  const x = new Float32Array(n * windowLength);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < windowLength; j++) x[i * windowLength + j] = series[i + j] ?? Number.NaN;
    y[i] = series[i + windowLength] ?? Number.NaN;
  }
  return { x: tf.tensor3d(x, [n, windowLength, 1]), y: tf.tensor2d(y, [n, 1]) };
}

/** Throws unless `series` is an array of finite numbers; names `subject` and the bad index. */
export function checkSeries(subject: string, series: unknown): asserts series is Series {
  if (
    !Array.isArray(series) &&
    !(series instanceof Float32Array) &&
    !(series instanceof Float64Array)
  ) {
    throw new ValueError(
      `${subject}: expected a series of numbers (an array or a Float32Array / Float64Array), received ${describe(series)}.`,
    );
  }
  const values = series as ArrayLike<unknown>;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValueError(
        `${subject}: expected finite numbers, received ${describe(v)} at index ${i}.`,
      );
    }
  }
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === undefined) return 'undefined';
  if (value instanceof tf.Tensor)
    return `a tensor of shape ${formatShape((value as tf.Tensor).shape)}`;
  if (typeof value === 'object' && value !== null) {
    return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  }
  return JSON.stringify(value);
}
