/**
 * SimpleRNNCell (one step's weights and options) and SimpleRNN (a layer that builds one cell):
 *
 *   h_t = activation(x_t · kernel + h_{t-1} · recurrent_kernel + bias),   h_0 = 0
 *
 * with Keras's weight names, layouts and defaults.
 */
import * as tf from '@tensorflow/tfjs';
import { checkPositiveInteger, checkRate } from '../../errors';
import { type SimpleRnnStackLayer, simpleRnnSequence } from '../../kernels/simple_rnn';
import { type KeyTable, type NotYetOptions, optionKeys } from '../../option_keys';
import { canonicalActivation } from '../activations';
import {
  type Initializer,
  type InitializerSpec,
  canonicalInitializer,
  makeInitializer,
  serializeInitializer,
} from '../initializers';
import { KerasLayer } from '../keras_layer';
import { type Kwargs, notYetWeightOptions, singleShape } from '../layer_args';
import { defaultLayerName } from '../naming';
import { type RNNArgs, type RecurrentCell, type SequenceRunOptions, RNN, RNN_OPTIONS } from './rnn';

/** Options of one SimpleRNN step. */
export interface SimpleRNNCellArgs {
  /** Size of the state h_t and of the output. A positive integer. */
  units: number;
  /** Keras activation name (`'tanh'`, `'relu'`, `'sigmoid'`, `'linear'`, ...). Default: 'tanh'. */
  activation?: string | null;
  /** Whether the cell adds a bias vector. Default: true. */
  useBias?: boolean;
  /** Initializer of `kernel` [features, units]. Default: 'glorot_uniform'. */
  kernelInitializer?: InitializerSpec;
  /** Initializer of `recurrent_kernel` [units, units]. Default: 'orthogonal'. */
  recurrentInitializer?: InitializerSpec;
  /** Initializer of `bias` [units]. Default: 'zeros'. */
  biasInitializer?: InitializerSpec;
  /** Fraction of the input features dropped at every step while training. Default: 0. */
  dropout?: number;
  /** Fraction of the previous state dropped at every step while training. Default: 0. */
  recurrentDropout?: number;
  /** The cell's name. Default: 'simple_rnn_cell', 'simple_rnn_cell_1', ... */
  name?: string;
  /** Whether training updates the cell's weights. Default: true. */
  trainable?: boolean;
}

/** Keras's SimpleRNNCell options that are not implemented yet. */
const NOT_YET_CELL_OPTIONS: NotYetOptions = {
  ...notYetWeightOptions('kernel', 'recurrent', 'bias'),
  seed: { hint: 'the cell draws unseeded dropout masks here; leave it out' },
};

/** The keys of one step's options: the cell's and the SimpleRNN layer's. */
const STEP_KEYS: KeyTable<Omit<SimpleRNNCellArgs, 'name' | 'trainable'>> = {
  units: true,
  activation: true,
  useBias: true,
  kernelInitializer: true,
  recurrentInitializer: true,
  biasInitializer: true,
  dropout: true,
  recurrentDropout: true,
};

/** The keys of SimpleRNNCellArgs. */
export const SIMPLE_RNN_CELL_OPTIONS = optionKeys<SimpleRNNCellArgs>(
  { ...STEP_KEYS, name: true, trainable: true },
  NOT_YET_CELL_OPTIONS,
);

/** The cell's options with defaults applied and names checked. */
export interface SimpleRNNCellOptions {
  units: number;
  activation: string;
  useBias: boolean;
  kernelInitializer: string | Initializer;
  recurrentInitializer: string | Initializer;
  biasInitializer: string | Initializer;
  dropout: number;
  recurrentDropout: number;
}

/** Applies defaults and checks every option, naming `subject` in errors. */
export function simpleRnnCellOptions(
  subject: string,
  args: SimpleRNNCellArgs,
): SimpleRNNCellOptions {
  return {
    units: checkPositiveInteger(subject, 'units', args.units),
    activation: canonicalActivation(
      subject,
      args.activation === undefined ? 'tanh' : args.activation,
    ),
    useBias: args.useBias ?? true,
    kernelInitializer: canonicalInitializer(subject, args.kernelInitializer ?? 'glorot_uniform'),
    recurrentInitializer: canonicalInitializer(subject, args.recurrentInitializer ?? 'orthogonal'),
    biasInitializer: canonicalInitializer(subject, args.biasInitializer ?? 'zeros'),
    dropout: checkRate(subject, 'dropout', args.dropout ?? 0),
    recurrentDropout: checkRate(subject, 'recurrentDropout', args.recurrentDropout ?? 0),
  };
}

/** A dropout mask of ones, scaled by 1 / (1 - rate), shared by every step as in Keras. */
function dropoutMask(batch: number, width: number, rate: number): tf.Tensor2D {
  return tf.tidy(() => tf.dropout(tf.ones([batch, width]), rate) as tf.Tensor2D);
}

/** One SimpleRNN step's weights: `kernel`, `recurrent_kernel` and `bias`. */
export class SimpleRNNCell extends KerasLayer implements RecurrentCell {
  static className = 'SimpleRNNCell';
  readonly units: number;
  readonly activation: string;
  readonly useBias: boolean;
  readonly kernelInitializer: string | Initializer;
  readonly recurrentInitializer: string | Initializer;
  readonly biasInitializer: string | Initializer;
  readonly dropout: number;
  readonly recurrentDropout: number;
  private kernel: tf.LayerVariable | null = null;
  private recurrentKernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: SimpleRNNCellArgs) {
    SIMPLE_RNN_CELL_OPTIONS.check('SimpleRNNCell', args);
    const options = simpleRnnCellOptions('SimpleRNNCell', args);
    super({
      name: args.name ?? defaultLayerName(SimpleRNNCell.className),
      trainable: args.trainable ?? true,
    });
    this.units = options.units;
    this.activation = options.activation;
    this.useBias = options.useBias;
    this.kernelInitializer = options.kernelInitializer;
    this.recurrentInitializer = options.recurrentInitializer;
    this.biasInitializer = options.biasInitializer;
    this.dropout = options.dropout;
    this.recurrentDropout = options.recurrentDropout;
  }

  get inputFeatures(): number | null {
    return this.kernel?.shape[0] ?? null;
  }

  /** Creates the weights for steps of shape [samples, features]. */
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const features = singleShape(inputShape).at(-1);
    if (features == null) {
      throw new Error(
        `SimpleRNNCell '${this.name}': the number of input features must be known to build the weights.`,
      );
    }
    this.kernel = this.addWeight(
      `${this.name}/kernel`,
      [features, this.units],
      'float32',
      makeInitializer(this.kernelInitializer),
    );
    this.recurrentKernel = this.addWeight(
      `${this.name}/recurrent_kernel`,
      [this.units, this.units],
      'float32',
      makeInitializer(this.recurrentInitializer),
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        `${this.name}/bias`,
        [this.units],
        'float32',
        makeInitializer(this.biasInitializer),
      );
    }
    this.built = true;
  }

  /** Runs the cell over every step of `x` [samples, timesteps, features]. */
  runSequence(
    x: tf.Tensor3D,
    options: SequenceRunOptions,
  ): { output: tf.Tensor; state: tf.Tensor2D } {
    const [batch, , features] = x.shape;
    const { weights, options: sequenceOptions } = this.stackLayer(batch, features, options);
    return simpleRnnSequence(x, weights, sequenceOptions);
  }

  /**
   * The cell's weights and options for a run over `batch` sequences of `features` features,
   * as one layer of a kernel stack (see simpleRnnStack); makes the dropout masks of a
   * training run.
   */
  stackLayer(batch: number, features: number, options: SequenceRunOptions): SimpleRnnStackLayer {
    if (this.kernel === null || this.recurrentKernel === null) {
      throw new Error(`SimpleRNNCell '${this.name}': used before it was built.`);
    }
    const training = options.training;
    return {
      weights: {
        kernel: this.kernel.read() as tf.Tensor2D,
        recurrentKernel: this.recurrentKernel.read() as tf.Tensor2D,
        bias: this.bias === null ? null : (this.bias.read() as tf.Tensor1D),
      },
      options: {
        activation: this.activation,
        goBackwards: options.goBackwards,
        returnSequences: options.returnSequences,
        inputMask:
          training && this.dropout > 0 ? dropoutMask(batch, features, this.dropout) : undefined,
        recurrentMask:
          training && this.recurrentDropout > 0
            ? dropoutMask(batch, this.units, this.recurrentDropout)
            : undefined,
      },
    };
  }

  /** A cell is run by the layer that holds it, not called on its own. */
  override call(_inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    throw new Error(
      `SimpleRNNCell '${this.name}': a cell runs inside a recurrent layer; use new SimpleRNN({...}) or new StackedRNN({ cells: [...] }).`,
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      name: this.name,
      trainable: this.trainable,
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
    };
  }
}

/** Options of the SimpleRNN layer: its cell's and the time axis's. */
export interface SimpleRNNArgs extends RNNArgs, Omit<SimpleRNNCellArgs, 'name'> {}

/** The keys of SimpleRNNArgs. */
export const SIMPLE_RNN_OPTIONS = RNN_OPTIONS.extend<SimpleRNNArgs>(
  STEP_KEYS,
  NOT_YET_CELL_OPTIONS,
);

/**
 * A fully-connected recurrent layer, Keras's `SimpleRNN`: input `[samples, timesteps,
 * features]`, output `[samples, units]` (or `[samples, timesteps, units]` with
 * `returnSequences`), weights shared by every step.
 */
export class SimpleRNN extends RNN {
  static className = 'SimpleRNN';
  readonly cell: SimpleRNNCell;

  constructor(args: SimpleRNNArgs) {
    SIMPLE_RNN_OPTIONS.check('SimpleRNN', args);
    const options = simpleRnnCellOptions('SimpleRNN', args);
    super({ ...args, name: args.name ?? defaultLayerName(SimpleRNN.className) });
    this.cell = new SimpleRNNCell({ ...options, name: 'simple_rnn_cell' });
  }

  get cells(): readonly RecurrentCell[] {
    return [this.cell];
  }

  get units(): number {
    return this.cell.units;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { name: _cellName, trainable: _cellTrainable, ...cellConfig } = this.cell.getConfig();
    return { ...super.getConfig(), ...cellConfig };
  }
}

tf.serialization.registerClass(SimpleRNNCell);
tf.serialization.registerClass(SimpleRNN);
