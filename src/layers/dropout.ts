/**
 * Dropout: while training, zeroes a fraction `rate` of the inputs and scales the rest by
 * 1 / (1 - rate); at inference it passes its input through unchanged. The masks come from the
 * layer's own generator (dropout_mask.ts): with a seed, the layer draws the same sequence of
 * masks from run to run, a new one at every call, as Keras's seeded Dropout does.
 */
import * as tf from '@tensorflow/tfjs';
import { checkRate } from '../errors';
import { MaskRandom } from './dropout_mask';
import type { OptionKeys } from '../option_keys';
import { KerasLayer } from './keras_layer';
import {
  BASE_LAYER_OPTIONS,
  type BaseLayerArgs,
  type Kwargs,
  type LayerCallArgs,
  MASKED_CALL_ARGS,
  baseLayerArgs,
  singleInput,
  singleShape,
} from './layer_args';
import { defaultLayerName } from './naming';

/** Options of Dropout. */
export interface DropoutArgs extends BaseLayerArgs {
  /** Fraction of the inputs to drop while training, in [0, 1). */
  rate: number;
  /** Shape of the binary mask, broadcast over the input (Keras's `noise_shape`; null: the input's size on that axis). Default: the input's shape. */
  noiseShape?: (number | null)[];
  /** Seed of the random masks: the same sequence of masks from run to run. Default: none. */
  seed?: number;
}

/** The keys of DropoutArgs. */
export const DROPOUT_OPTIONS = BASE_LAYER_OPTIONS.extend<DropoutArgs>({
  rate: true,
  noiseShape: true,
  seed: true,
});

/** Keras's `Dropout`. */
export class Dropout extends KerasLayer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'Dropout';
  /** Fraction of the inputs dropped while training. */
  readonly rate: number;
  /** Shape of the mask, broadcast over the input (null dimensions take the input's); undefined: the input's. */
  readonly noiseShape: (number | null)[] | undefined;
  /** Seed of the layer's mask generator; undefined: unseeded. */
  readonly seed: number | undefined;
  private readonly random: MaskRandom;

  constructor(args: DropoutArgs) {
    DROPOUT_OPTIONS.check('Dropout', args);
    const rate = checkRate('Dropout', 'rate', args.rate);
    super(baseLayerArgs({ ...args, name: args.name ?? defaultLayerName(Dropout.className) }));
    this.supportsMasking = true;
    this.rate = rate;
    this.noiseShape = args.noiseShape === undefined ? undefined : [...args.noiseShape];
    this.seed = args.seed;
    this.random = this.seed === undefined ? MaskRandom.unseeded() : new MaskRandom(this.seed);
  }

  /** Takes Keras's mask and passes it on unchanged, as Keras's Dropout does. */
  protected override callArgs(): OptionKeys<LayerCallArgs> {
    return MASKED_CALL_ARGS;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  /**
   * The next training mask for an input of `shape`: 0 or 1 / (1 - rate) per element, of
   * `noiseShape` when given (broadcast over the input's other axes), else of `shape`. A
   * training call multiplies its input by it; the recurrent kernel stack takes it as a mask
   * of a layer's output sequence. undefined when nothing is dropped (rate 0).
   */
  trainingMask(shape: readonly number[]): tf.Tensor | undefined {
    if (this.rate === 0) return undefined;
    const maskShape = this.noiseShape?.map((d, i) => d ?? shape[i]) ?? [...shape];
    const size = maskShape.reduce((a, b) => a * b, 1);
    return tf.tensor(this.random.fillMask(new Float32Array(size), this.rate), maskShape);
  }

  /**
   * Fills `out` with the next training mask of an input of `out.length` elements, without a
   * noise shape: the values `trainingMask` would give, drawn from the same generator.
   */
  fillTrainingMask(out: Float32Array): void {
    if (this.noiseShape !== undefined) {
      throw new Error(`Dropout '${this.name}': fillTrainingMask draws no noise-shaped masks.`);
    }
    if (this.rate === 0) out.fill(1);
    else this.random.fillMask(out, this.rate);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = singleInput(`Dropout '${this.name}'`, inputs);
    if (kwargs.training !== true) return x;
    return tf.tidy(() => {
      const mask = this.trainingMask(x.shape);
      return mask === undefined ? x : tf.mul(x, mask);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), rate: this.rate };
    if (this.noiseShape !== undefined) config.noiseShape = this.noiseShape;
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}

tf.serialization.registerClass(Dropout);
