/**
 * Embedding: integer indices in [0, inputDim) -> rows of a trainable [inputDim, outputDim]
 * matrix. `[samples, timesteps]` indices become `[samples, timesteps, outputDim]`, ready for a
 * recurrent layer.
 */
import * as tf from '@tensorflow/tfjs';
import { checkPositiveInteger } from '../errors';
import { embeddingLookup } from '../kernels/embedding';
import {
  type Initializer,
  type InitializerSpec,
  canonicalInitializer,
  makeInitializer,
  serializeInitializer,
} from './initializers';
import { KerasLayer } from './keras_layer';
import {
  BASE_LAYER_OPTIONS,
  type BaseLayerArgs,
  type Kwargs,
  NOT_YET_LORA_OPTIONS,
  baseLayerArgs,
  notYetWeightOptions,
  singleInput,
  singleShape,
} from './layer_args';
import { NO_MASK } from './masks';
import { defaultLayerName } from './naming';

/** Options of Embedding. */
export interface EmbeddingArgs extends BaseLayerArgs {
  /** Size of the vocabulary: indices run from 0 to inputDim - 1. A positive integer. */
  inputDim: number;
  /** Size of each embedding vector. A positive integer. */
  outputDim: number;
  /** Initializer of `embeddings` [inputDim, outputDim]. Default: 'random_uniform' (±0.05, Keras's 'uniform'). */
  embeddingsInitializer?: InitializerSpec;
  /** Length of the index sequences (Keras 2's `input_length`); sets `inputShape` to `[inputLength]` when that is not given. Default: none. */
  inputLength?: number;
  /** Index 0 is padding: the layer makes a mask (true where the index is not 0) that the layers after it follow, as Keras's `mask_zero`. The vocabulary still counts index 0 in `inputDim`. Default: false. */
  maskZero?: boolean;
}

/** The keys of EmbeddingArgs, and Keras's Embedding options not implemented yet. */
export const EMBEDDING_OPTIONS = BASE_LAYER_OPTIONS.extend<EmbeddingArgs>(
  {
    inputDim: true,
    outputDim: true,
    embeddingsInitializer: true,
    inputLength: true,
    maskZero: true,
  },
  {
    ...notYetWeightOptions('embeddings'),
    ...NOT_YET_LORA_OPTIONS,
    weights: { hint: 'set them with setWeights once the model is built' },
  },
);

/** A lookup table from integer indices to dense vectors, Keras's `Embedding`. */
export class Embedding extends KerasLayer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'Embedding';
  /** Size of the vocabulary: ids are in [0, inputDim). */
  readonly inputDim: number;
  /** Size of each embedding vector. */
  readonly outputDim: number;
  /** Initializer of `embeddings`. */
  readonly embeddingsInitializer: string | Initializer;
  /** Whether index 0 is padding, masked for the layers after it. */
  readonly maskZero: boolean;
  private embeddings: tf.LayerVariable | null = null;

  constructor(args: EmbeddingArgs) {
    EMBEDDING_OPTIONS.check('Embedding', args);
    const inputDim = checkPositiveInteger('Embedding', 'inputDim', args.inputDim);
    const outputDim = checkPositiveInteger('Embedding', 'outputDim', args.outputDim);
    const embeddingsInitializer = canonicalInitializer(
      'Embedding',
      args.embeddingsInitializer ?? 'random_uniform',
    );
    const inputShape =
      args.inputShape ??
      (args.inputLength !== undefined && args.batchInputShape === undefined
        ? [args.inputLength]
        : undefined);
    super(
      baseLayerArgs({
        ...args,
        inputShape,
        name: args.name ?? defaultLayerName(Embedding.className),
      }),
    );
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.embeddingsInitializer = embeddingsInitializer;
    this.maskZero = args.maskZero ?? false;
    this.supportsMasking = this.maskZero;
  }

  /** With `maskZero`, the mask of the output: true where the index is not 0. Else null. */
  override computeMask(
    inputs: tf.Tensor | tf.Tensor[],
    _mask?: tf.Tensor | tf.Tensor[],
  ): tf.Tensor | tf.Tensor[] {
    if (!this.maskZero || this.applying) return NO_MASK;
    const x = singleInput(`Embedding '${this.name}'`, inputs);
    return tf.notEqual(x, 0);
  }

  override build(_inputShape: tf.Shape | tf.Shape[]): void {
    this.embeddings = this.addWeight(
      'embeddings',
      [this.inputDim, this.outputDim],
      'float32',
      makeInitializer(this.embeddingsInitializer),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [...singleShape(inputShape), this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = singleInput(`Embedding '${this.name}'`, inputs);
    const embeddings = this.embeddings;
    if (embeddings === null)
      throw new Error(`Embedding '${this.name}': called before it was built.`);
    return tf.tidy(() => {
      const indices = x.dtype === 'int32' ? x : tf.cast(x, 'int32');
      return embeddingLookup(embeddings.read() as tf.Tensor2D, indices, embeddings.name);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      maskZero: this.maskZero,
    };
  }
}

tf.serialization.registerClass(Embedding);
