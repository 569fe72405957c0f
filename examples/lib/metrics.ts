/**
 * Errors of a forecast in the units of the data (prices), as the course reports them.
 */

/** Root mean squared error and mean absolute error of `predicted` against `actual`. */
export interface ForecastErrors {
  rmse: number;
  mae: number;
}

/** RMSE and MAE over equal-length series; throws when the lengths differ or are zero. */
export function forecastErrors(
  actual: readonly number[],
  predicted: readonly number[],
): ForecastErrors {
  if (actual.length !== predicted.length || actual.length === 0) {
    throw new Error(
      `forecastErrors: expected two non-empty series of the same length, received ${actual.length} and ${predicted.length}.`,
    );
  }
  let squared = 0;
  let absolute = 0;
  actual.forEach((a, i) => {
    const d = (predicted[i] ?? Number.NaN) - a;
    squared += d * d;
    absolute += Math.abs(d);
  });
  return { rmse: Math.sqrt(squared / actual.length), mae: absolute / actual.length };
}
