/**
 * Masking: marks as padding every step whose features all equal `maskValue`, as Keras's
 * `Masking`. The layers after it skip those steps (a recurrent layer carries its state over
 * them, and the loss leaves them out); the layer's output is its input with the masked steps
 * set to zero.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
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
import { NO_MASK } from './masks';
import { defaultLayerName } from './naming';

/** Options of Masking. */
export interface MaskingArgs extends BaseLayerArgs {
  /** A step whose features all equal this value is padding. Default: 0. */
  maskValue?: number;
}

/** The keys of MaskingArgs. */
export const MASKING_OPTIONS = BASE_LAYER_OPTIONS.extend<MaskingArgs>({ maskValue: true });

/** Keras's `Masking`: steps whose features all equal `maskValue` are padding. */
export class Masking extends KerasLayer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'Masking';
  /** The value that marks a padding step (every feature equal to it). */
  readonly maskValue: number;

  constructor(args: MaskingArgs = {}) {
    MASKING_OPTIONS.check('Masking', args);
    const maskValue = args.maskValue ?? 0;
    if (typeof maskValue !== 'number' || Number.isNaN(maskValue)) {
      throw new ValueError(
        `Masking: expected \`maskValue\` to be a number (a padding step has every feature equal to it), received ${String(maskValue)}.`,
      );
    }
    super(baseLayerArgs({ ...args, name: args.name ?? defaultLayerName(Masking.className) }));
    this.maskValue = maskValue;
    this.supportsMasking = true;
  }

  protected override callArgs(): OptionKeys<LayerCallArgs> {
    return MASKED_CALL_ARGS;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  /** The mask of the output: true where any feature differs from `maskValue`. */
  override computeMask(
    inputs: tf.Tensor | tf.Tensor[],
    _mask?: tf.Tensor | tf.Tensor[],
  ): tf.Tensor | tf.Tensor[] {
    if (this.applying) return NO_MASK;
    const x = this.checkedInput(inputs);
    return tf.tidy(() => tf.any(tf.notEqual(x, this.maskValue), -1));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = this.checkedInput(inputs);
    return tf.tidy(() => {
      const data = tf.any(tf.notEqual(x, this.maskValue), -1, true);
      // Keras's where, not a product: a padding step's NaN or Infinity becomes 0 too.
      return tf.where(tf.broadcastTo(data, x.shape), x, tf.zerosLike(x));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }

  /** The input, refused when it holds integers: padding ids are Embedding's `maskZero`. */
  private checkedInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(`Masking '${this.name}'`, inputs);
    if (x.dtype !== 'float32') {
      throw new ValueError(
        `Masking '${this.name}': expected float32 input [samples, timesteps, features], received ${x.dtype}. Integer ids are masked by Embedding({ inputDim, outputDim, maskZero: true }), which treats id 0 as padding; for numbers, convert them to float32.`,
      );
    }
    return x;
  }
}

tf.serialization.registerClass(Masking);
