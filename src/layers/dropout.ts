/**
 * Dropout: while training, zeroes a fraction `rate` of the inputs and scales the rest by
 * 1 / (1 - rate); at inference it passes its input through unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { checkRate } from '../errors';
import {
  type BaseLayerArgs,
  type Kwargs,
  baseLayerArgs,
  singleInput,
  singleShape,
} from './layer_args';
import { defaultLayerName } from './naming';

/** Options of Dropout. */
export interface DropoutArgs extends BaseLayerArgs {
  /** Fraction of the inputs to drop while training, in [0, 1). */
  rate: number;
  /** Shape of the binary mask, broadcast over the input (Keras's `noise_shape`). Default: the input's shape. */
  noiseShape?: number[];
  /** Seed of the random mask. Default: none. */
  seed?: number;
}

/** Keras's `Dropout`. */
export class Dropout extends tf.layers.Layer {
  static className = 'Dropout';
  readonly rate: number;
  readonly noiseShape: number[] | undefined;
  readonly seed: number | undefined;

  constructor(args: DropoutArgs) {
    const rate = checkRate('Dropout', 'rate', args.rate);
    super(baseLayerArgs({ ...args, name: args.name ?? defaultLayerName(Dropout.className) }));
    this.rate = rate;
    this.noiseShape = args.noiseShape === undefined ? undefined : [...args.noiseShape];
    this.seed = args.seed;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  /**
   * What a training call multiplies an input of `shape` by: 0 or 1 / (1 - rate) per element
   * (broadcast from `noiseShape`), drawn as that call draws it, so that x times this mask is
   * that call's output bit for bit. undefined when nothing is dropped (rate 0).
   */
  trainingMask(shape: number[]): tf.Tensor | undefined {
    if (this.rate === 0) return undefined;
    return tf.tidy(() => tf.dropout(tf.ones(shape), this.rate, this.noiseShape, this.seed));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = singleInput(`Dropout '${this.name}'`, inputs);
    if (kwargs.training !== true || this.rate === 0) return x;
    return tf.dropout(x, this.rate, this.noiseShape, this.seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), rate: this.rate };
    if (this.noiseShape !== undefined) config.noiseShape = this.noiseShape;
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}

tf.serialization.registerClass(Dropout);
