/**
 * Dense: `output = activation(input · kernel + bias)` on the last axis. On a sequence
 * `[samples, timesteps, features]` it applies the same weights at every step, as Keras does.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, checkPositiveInteger, formatShape } from '../errors';
import { denseProduct } from '../kernels/dense';
import { activationFn, canonicalActivation } from './activations';
import {
  type Initializer,
  type InitializerSpec,
  canonicalInitializer,
  makeInitializer,
  serializeInitializer,
} from './initializers';
import type { OptionKeys } from '../option_keys';
import { KerasLayer } from './keras_layer';
import {
  BASE_LAYER_OPTIONS,
  type BaseLayerArgs,
  type Kwargs,
  type LayerCallArgs,
  MASKED_CALL_ARGS,
  NOT_YET_LORA_OPTIONS,
  baseLayerArgs,
  notYetWeightOptions,
  singleInput,
  singleShape,
} from './layer_args';
import { defaultLayerName } from './naming';

/** Options of Dense. */
export interface DenseArgs extends BaseLayerArgs {
  /** Number of outputs. A positive integer. */
  units: number;
  /** Keras activation name (`'softmax'`, `'relu'`, ...); null means linear. Default: null (linear). */
  activation?: string | null;
  /** Whether the layer adds a bias vector. Default: true. */
  useBias?: boolean;
  /** Initializer of `kernel` [features, units]. Default: 'glorot_uniform'. */
  kernelInitializer?: InitializerSpec;
  /** Initializer of `bias` [units]. Default: 'zeros'. */
  biasInitializer?: InitializerSpec;
}

/** The keys of DenseArgs, and Keras's Dense options not implemented yet. */
export const DENSE_OPTIONS = BASE_LAYER_OPTIONS.extend<DenseArgs>(
  { units: true, activation: true, useBias: true, kernelInitializer: true, biasInitializer: true },
  { ...notYetWeightOptions('kernel', 'bias'), ...NOT_YET_LORA_OPTIONS },
);

/** A fully-connected layer, Keras's `Dense`. */
export class Dense extends KerasLayer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'Dense';
  /** Size of the output. */
  readonly units: number;
  /** Keras activation name applied to x · kernel + bias. */
  readonly activation: string;
  /** Whether the layer adds a bias. */
  readonly useBias: boolean;
  /** Initializer of `kernel`. */
  readonly kernelInitializer: string | Initializer;
  /** Initializer of `bias`. */
  readonly biasInitializer: string | Initializer;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: DenseArgs) {
    DENSE_OPTIONS.check('Dense', args);
    const units = checkPositiveInteger('Dense', 'units', args.units);
    const activation = canonicalActivation('Dense', args.activation);
    const kernelInitializer = canonicalInitializer(
      'Dense',
      args.kernelInitializer ?? 'glorot_uniform',
    );
    const biasInitializer = canonicalInitializer('Dense', args.biasInitializer ?? 'zeros');
    super(baseLayerArgs({ ...args, name: args.name ?? defaultLayerName(Dense.className) }));
    this.supportsMasking = true;
    this.units = units;
    this.activation = activation;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = kernelInitializer;
    this.biasInitializer = biasInitializer;
  }

  private checkInputShape(shape: readonly (number | null)[]): void {
    if (shape.length < 2) {
      throw new ValueError(
        `Dense '${this.name}': expected input of rank 2 or more [samples, ..., features], received shape ${formatShape(shape)}.`,
      );
    }
    const features = this.kernel?.shape[0];
    const last = shape[shape.length - 1];
    if (features != null && last != null && last !== features) {
      throw new ValueError(
        `Dense '${this.name}': expected ${features} features on the last axis, as its weights were built for, received shape ${formatShape(shape)}.`,
      );
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    this.checkInputShape(shape);
    const features = shape[shape.length - 1];
    if (features == null) {
      throw new ValueError(
        `Dense '${this.name}': the last axis of the input must be known, received shape ${formatShape(shape)}.`,
      );
    }
    this.kernel = this.addWeight(
      'kernel',
      [features, this.units],
      'float32',
      makeInitializer(this.kernelInitializer),
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        'bias',
        [this.units],
        'float32',
        makeInitializer(this.biasInitializer),
      );
    }
    this.built = true;
  }

  /** Takes Keras's mask and passes it on unchanged, as Keras's Dense does. */
  protected override callArgs(): OptionKeys<LayerCallArgs> {
    return MASKED_CALL_ARGS;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
    this.checkInputShape(shape);
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = singleInput(`Dense '${this.name}'`, inputs);
    this.checkInputShape(x.shape);
    return tf.tidy(() => this.activate(this.logits(x)));
  }

  /** The activation on the output before it (see `logits`). */
  activate(logits: tf.Tensor): tf.Tensor {
    return activationFn(this.activation)(logits);
  }

  /**
   * The kernel [features, units] and bias [units] (null without one) as tensors, for a product
   * computed elsewhere: a recurrent stack's Dense head (see runLayers). null before build.
   * @internal
   */
  productWeights(): { kernel: tf.Tensor2D; bias: tf.Tensor1D | null } | null {
    if (this.kernel === null) return null;
    return {
      kernel: this.kernel.read() as tf.Tensor2D,
      bias: this.bias === null ? null : (this.bias.read() as tf.Tensor1D),
    };
  }

  /**
   * x · kernel + bias on the last axis of x: the output before the activation (what Keras's
   * crossentropies take from a final sigmoid or softmax Dense). x as `call` checks it.
   */
  logits(x: tf.Tensor): tf.Tensor {
    const kernel = this.kernel;
    if (kernel === null) throw new Error(`Dense '${this.name}': called before it was built.`);
    return tf.tidy(() => {
      const features = x.shape[x.shape.length - 1];
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, features]);
      const z = denseProduct(
        flat as tf.Tensor2D,
        kernel.read() as tf.Tensor2D,
        this.bias === null ? null : (this.bias.read() as tf.Tensor1D),
      );
      return x.rank === 2 ? z : tf.reshape(z, [...x.shape.slice(0, -1), this.units]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}

tf.serialization.registerClass(Dense);
