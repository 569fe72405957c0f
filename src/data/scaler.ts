/**
 * Min-max scaling of one feature to a range, scikit-learn's `MinMaxScaler` for a single column:
 *
 *   scale = (rangeMax - rangeMin) / (dataMax - dataMin)     (1 / 1 when dataMax == dataMin)
 *   min   = rangeMin - dataMin * scale
 *   transform(v) = v * scale + min,   inverseTransform(s) = (s - min) / scale
 *
 * Fit it on the training part of a series only, then transform the training and the test parts
 * with the same numbers, as the course does (`sc.fit_transform(train)`, `sc.transform(test)`).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { optionKeys } from '../option_keys';
import { type Series, checkSeries } from './windows';

/** Options of `MinMaxScaler`. */
export interface MinMaxScalerArgs {
  /** The range `[min, max]` the fitted data is mapped to; `min < max`, both finite. Default: [0, 1]. */
  featureRange?: readonly [number, number];
}

/** The keys of MinMaxScalerArgs. */
const MIN_MAX_SCALER_OPTIONS = optionKeys<MinMaxScalerArgs>({ featureRange: true });

/** The numbers a fitted scaler holds (scikit-learn's `data_min_`, `data_max_`, `scale_`, `min_`). */
export interface MinMaxScalerState {
  /** The smallest value seen by `fit`. */
  dataMin: number;
  /** The largest value seen by `fit`. */
  dataMax: number;
  /** (max - min of the range) / (dataMax - dataMin): x · scale + min maps the data into the range. */
  scale: number;
  /** The offset: range min - dataMin · scale. */
  min: number;
}

/** Scales one feature to `featureRange` with the minimum and maximum seen by `fit`. */
export class MinMaxScaler {
  /** The range the values are mapped into, [min, max]. */
  readonly featureRange: readonly [number, number];
  private state: MinMaxScalerState | undefined;

  constructor(args: MinMaxScalerArgs = {}) {
    MIN_MAX_SCALER_OPTIONS.check('MinMaxScaler', args);
    const range: unknown = args.featureRange ?? [0, 1];
    if (
      !Array.isArray(range) ||
      range.length !== 2 ||
      typeof range[0] !== 'number' ||
      typeof range[1] !== 'number' ||
      !Number.isFinite(range[0]) ||
      !Number.isFinite(range[1]) ||
      range[0] >= range[1]
    ) {
      throw new ValueError(
        `MinMaxScaler: expected \`featureRange\` to be [min, max] with finite min < max, received ${JSON.stringify(range)}.`,
      );
    }
    this.featureRange = [range[0], range[1]];
  }

  /** Whether `fit` has run. */
  get fitted(): boolean {
    return this.state !== undefined;
  }

  /** The fitted numbers; throws before `fit`. */
  get params(): Readonly<MinMaxScalerState> {
    return this.fittedState('params');
  }

  /**
   * Learns the minimum and maximum of `values` (finite numbers, at least one) and returns the
   * scaler. A constant series gets scale 1, so it maps to `featureRange[0]` instead of dividing
   * by zero. A failed fit leaves the scaler as it was.
   */
  fit(values: Series): this {
    checkSeries('MinMaxScaler.fit', values);
    if (values.length === 0) {
      throw new ValueError(
        'MinMaxScaler.fit: expected at least one value, received an empty series.',
      );
    }
    let dataMin = Infinity;
    let dataMax = -Infinity;
    for (const v of values) {
      if (v < dataMin) dataMin = v;
      if (v > dataMax) dataMax = v;
    }
    const [lo, hi] = this.featureRange;
    const range = dataMax - dataMin;
    // scikit-learn's _handle_zeros_in_scale: a zero range counts as 1.
    const scale = (hi - lo) / (range === 0 ? 1 : range);
    this.state = { dataMin, dataMax, scale, min: lo - dataMin * scale };
    return this;
  }

  /** Maps values to the feature range with the fitted numbers. Throws before `fit`. */
  transform(values: Series): number[];
  /** The same on a tensor of any shape, returned as a new float32 tensor the caller owns. */
  transform<T extends tf.Tensor>(values: T): T;
  transform(values: Series | tf.Tensor): number[] | tf.Tensor {
    const { scale, min } = this.fittedState('transform');
    return this.apply(
      'transform',
      values,
      (v) => v * scale + min,
      (t) => t.mul(scale).add(min),
    );
  }

  /** Maps scaled values back to the original units (prices, say). Throws before `fit`. */
  inverseTransform(values: Series): number[];
  /** The same on a tensor of any shape (model predictions, say), returned as a new tensor. */
  inverseTransform<T extends tf.Tensor>(values: T): T;
  inverseTransform(values: Series | tf.Tensor): number[] | tf.Tensor {
    const { scale, min } = this.fittedState('inverseTransform');
    return this.apply(
      'inverseTransform',
      values,
      (v) => (v - min) / scale,
      (t) => t.sub(min).div(scale),
    );
  }

  /** `fit(values)` then `transform(values)`. */
  fitTransform(values: Series): number[] {
    return this.fit(values).transform(values);
  }

  private fittedState(method: string): MinMaxScalerState {
    if (this.state === undefined) {
      throw new ValueError(
        `MinMaxScaler.${method}: the scaler is not fitted yet; call fit(trainingValues) or fitTransform(trainingValues) first.`,
      );
    }
    return this.state;
  }

  private apply(
    method: string,
    values: Series | tf.Tensor,
    onNumber: (v: number) => number,
    onTensor: (t: tf.Tensor) => tf.Tensor,
  ): number[] | tf.Tensor {
    if (values instanceof tf.Tensor) {
      return tf.tidy(() => onTensor(tf.cast(values, 'float32')));
    }
    checkSeries(`MinMaxScaler.${method}`, values);
    return Array.from(values, onNumber);
  }
}
