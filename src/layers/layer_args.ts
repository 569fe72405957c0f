/**
 * Options every layer of this package takes, as Keras's base `Layer` does.
 */
import * as tf from '@tensorflow/tfjs';
import { type NotYetOptions, optionKeys } from '../option_keys';

/** tfjs's own layer options (name, inputShape, batchInputShape, batchSize, dtype, trainable). */
export type TfLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** tfjs's keyword arguments to `Layer.call` (`training`, `mask`, ...). */
export type Kwargs = Parameters<tf.layers.Layer['call']>[1];

/** Options shared by every layer. */
export interface BaseLayerArgs {
  /** The layer's name, unique in a model. Default: derived from the class name. */
  name?: string;
  /** Shape of one sample, without the batch axis: `[timesteps, features]`. Default: none. */
  inputShape?: (number | null)[];
  /** Shape with the batch axis. Default: none. */
  batchInputShape?: (number | null)[];
  /** Fixed batch size, used with `inputShape`. Default: none. */
  batchSize?: number;
  /** Whether training updates this layer's weights. Default: true. */
  trainable?: boolean;
  /** Data type of the layer's weights and outputs. Default: 'float32'. */
  dtype?: tf.DataType;
}

/** The keys of BaseLayerArgs, and the options of Keras's base Layer not implemented yet. */
export const BASE_LAYER_OPTIONS = optionKeys<BaseLayerArgs>(
  {
    name: true,
    inputShape: true,
    batchInputShape: true,
    batchSize: true,
    trainable: true,
    dtype: true,
  },
  {
    activityRegularizer: {},
    inputDim: { hint: 'give `inputShape: [inputDim]` instead' },
    autocast: { default: true, hint: 'there is no mixed precision here; leave it out' },
  },
);

/**
 * Keras's regularizer and constraint options of the named weights (`'kernel'` ->
 * `kernelRegularizer`, `kernelConstraint`), none implemented yet.
 */
export function notYetWeightOptions(...weights: string[]): NotYetOptions {
  const entries = weights.flatMap((w) => [
    [`${w}Regularizer`, {}],
    [`${w}Constraint`, {}],
  ]);
  return Object.fromEntries(entries) as NotYetOptions;
}

/** Keras's LoRA and quantization options of Dense and Embedding, not implemented yet. */
export const NOT_YET_LORA_OPTIONS: NotYetOptions = {
  loraRank: {},
  loraAlpha: {},
  quantizationConfig: {},
};

/** The keyword arguments of a layer's `apply` (tfjs's kwargs). */
export interface LayerCallArgs {
  /** Training mode: Dropout and recurrent dropout drop values only then. Default: false. */
  training?: boolean;
}

/** The keys of LayerCallArgs; a mask is refused by layers that do not take one. */
export const LAYER_CALL_ARGS = optionKeys<LayerCallArgs>(
  { training: true },
  {
    mask: { hint: 'this layer does not take a mask' },
  },
);

/** The keyword arguments of a layer that takes Keras's mask. */
export interface MaskedCallArgs extends LayerCallArgs {
  /**
   * Keras's mask of the input: a boolean [samples, timesteps] tensor, true where the step is
   * data and false where it is padding (Embedding's `maskZero`, Masking). Default: none.
   */
  mask?: tf.Tensor | null;
}

/** The keys of MaskedCallArgs. */
export const MASKED_CALL_ARGS = LAYER_CALL_ARGS.extend<MaskedCallArgs>({ mask: true });

/** The base-layer options of `args`, for `super(...)`, without the caller's other keys. */
export function baseLayerArgs(args: BaseLayerArgs): TfLayerArgs {
  const out: TfLayerArgs = {};
  if (args.name !== undefined) out.name = args.name;
  if (args.inputShape !== undefined) out.inputShape = args.inputShape;
  if (args.batchInputShape !== undefined) out.batchInputShape = args.batchInputShape;
  if (args.batchSize !== undefined) out.batchSize = args.batchSize;
  if (args.trainable !== undefined) out.trainable = args.trainable;
  if (args.dtype !== undefined) out.dtype = args.dtype;
  return out;
}

/** The first tensor of a layer's inputs (layers here take exactly one input). */
export function singleInput(subject: string, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (!Array.isArray(inputs)) return inputs;
  const first = inputs.at(0);
  if (inputs.length !== 1 || first === undefined) {
    throw new Error(`${subject}: expected exactly one input tensor, received ${inputs.length}.`);
  }
  return first;
}

/** A single shape from `build`/`computeOutputShape`'s argument. */
export function singleShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
  const first = shape.at(0);
  if (Array.isArray(first)) return first;
  return shape as tf.Shape;
}
