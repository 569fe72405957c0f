/**
 * The recurrent cell family: what every cell kind (SimpleRNNCell, LSTMCell, GRUCell) has in
 * common, as Keras's cells have it. Options `units`, `activation`, `useBias`, the three
 * initializers, `dropout` and `recurrentDropout`; weights `kernel` [features, units * gates],
 * `recurrent_kernel` [units, units * gates] and `bias`; one dropout mask per sequence, shared by
 * every step. A kind adds its gates, its states and its step math (src/kernels/cells/).
 */
import * as tf from '@tensorflow/tfjs';
import { type FusedActivation, isFusedActivation } from '../../kernels/fused_steps';
import { type GatedStackLayer, gatedSequence } from '../../kernels/cells/gated_stack';
import { useWasmKernel } from '../../kernels/kernel_choice';
import {
  type RecurrentStackLayer,
  isGatedStackLayer,
  recurrentStack,
} from '../../kernels/recurrent_stack';
import { type Initializer, makeInitializer, serializeInitializer } from '../initializers';
import { KerasLayer } from '../keras_layer';
import { type Kwargs, singleShape } from '../layer_args';
import type { CellArgs, CellOptions } from './cell_options';
import { defaultLayerName } from '../naming';

/** What a recurrent cell does for the layer that holds it. */
export interface SequenceRunOptions {
  /** Read the sequence from its last step to its first. */
  goBackwards: boolean;
  /** Return every step's output, else the last. */
  returnSequences: boolean;
  /** A training run: dropout masks are drawn. */
  training: boolean;
  /** Whether the caller reads the result's `states` (else a kind may skip making them). */
  returnState: boolean;
  /**
   * Keras's mask as the kernels take it: [samples, timesteps], 1 where the step is data and 0
   * where it is padding, in the order the cell reads its input (see StepRunOptions in
   * kernels/cells/sequence.ts). Default: every step is data.
   */
  stepMask?: tf.Tensor2D;
  /** The cell's states before the first step, in Keras's order (LSTM: h, c). Default: zeros. */
  initialStates?: readonly tf.Tensor2D[];
}

/** A cell's run over a whole sequence. */
export interface SequenceRunResult {
  /** [samples, timesteps, units] with `returnSequences`, else [samples, units]. */
  readonly output: tf.Tensor;
  /** The states after the last processed step, in Keras's order (LSTM: h, c). */
  readonly states: readonly tf.Tensor2D[];
}

/** A recurrent cell: a tfjs layer that owns one step's weights and runs a whole sequence. */
export interface RecurrentCell {
  /** The cell's name (Keras's `simple_rnn_cell`, `lstm_cell`, ...). */
  readonly name: string;
  /** Size of the cell's output per sample. */
  readonly units: number;
  /** Size of each of the cell's states per sample, in Keras's order (LSTM: [units, units]). */
  readonly stateSizes: readonly number[];
  /** Whether its weights exist (see `build`). */
  readonly built: boolean;
  /** Whether training updates its weights. */
  trainable: boolean;
  /** Its weights that training updates, in Keras's order. */
  readonly trainableWeights: tf.LayerVariable[];
  /** Its weights that training does not update. */
  readonly nonTrainableWeights: tf.LayerVariable[];
  /** The number of input features the built weights expect. */
  readonly inputFeatures: number | null;
  /** Creates its weights for steps of shape [samples, features]. */
  build(inputShape: tf.Shape): void;
  /** Runs the cell over every step of `x` [samples, timesteps, features]. */
  runSequence(x: tf.Tensor3D, options: SequenceRunOptions): SequenceRunResult;
  /** Whether the cell can run as one layer of a kernel stack (see `stackLayer`). @internal */
  readonly stackable: boolean;
  /**
   * The cell as one layer of a kernel stack (see recurrentStack), for `batch` sequences of
   * `features` features; makes the dropout masks of a training run. Only when `stackable`.
   * @internal
   */
  stackLayer(batch: number, features: number, options: SequenceRunOptions): RecurrentStackLayer;
  /** Why `shape` does not fit one of the cell's weights, when the cell knows. Default: none. */
  weightShapeHint?(weight: tf.LayerVariable, shape: readonly number[]): string | undefined;
  /** Its config in Keras's camelCase names. */
  getConfig(): tf.serialization.ConfigDict;
  /** Frees its weights (tfjs's `Layer.dispose`): the reference count left, the variables freed. */
  dispose(): ReturnType<tf.layers.Layer['dispose']>;
}

export type { CellArgs, CellOptions } from './cell_options';
export {
  CELL_STEP_KEYS,
  NOT_YET_CELL_OPTIONS,
  NOT_YET_GATED_CELL_OPTIONS,
  cellOptions,
  recurrentActivationOption,
} from './cell_options';

/**
 * `count` dropout masks of ones scaled by 1 / (1 - rate), each shared by every step, as Keras's.
 *
 * Porting note: with implementation 1 (LSTM and GRU with recurrent dropout) Keras 3.15 draws one
 * mask [batch, width] and multiplies gate k's input by `mask[k]`, its row k: the same mask for
 * every sample of the batch, and an index error for batches smaller than the gate count. Here
 * each gate gets a mask of its own for every sample (tf.keras 2's behaviour, which Keras 3's
 * code indexes as if it still had). Masks are random, so no fixture can compare them; the
 * difference is in which units are dropped together, not in the expected values.
 */
function dropoutMasks(batch: number, width: number, rate: number, count: number): tf.Tensor2D[] {
  return Array.from({ length: count }, () =>
    tf.tidy(() => tf.dropout(tf.ones([batch, width]), rate) as tf.Tensor2D),
  );
}

/** A cell's weights as tensors, in Keras's layouts. */
export interface CellWeightTensors {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  /** [units * gates], GRU with resetAfter [2, 3 * units]; null without bias. */
  bias: tf.Tensor | null;
}

/** The base of every cell kind: the options, the weights and the config every kind has. */
export abstract class RecurrentCellBase extends KerasLayer implements RecurrentCell {
  /** The size of the output and of each state. */
  readonly units: number;
  /** Keras activation name of the output (and, in a gated cell, the candidate). */
  readonly activation: string;
  /** Whether the cell adds a bias. */
  readonly useBias: boolean;
  /** Initializer of `kernel`. */
  readonly kernelInitializer: string | Initializer;
  /** Initializer of `recurrent_kernel`. */
  readonly recurrentInitializer: string | Initializer;
  /** Initializer of `bias`. */
  readonly biasInitializer: string | Initializer;
  /** Fraction of the input features dropped at every step while training. */
  readonly dropout: number;
  /** Fraction of the previous state dropped at every step while training. */
  readonly recurrentDropout: number;
  /**
   * What the weights' names start with before the cell's name: '' in a layer of a model, the
   * layer's name and a slash in a layer inside another (Bidirectional's `forward_lstm/`), as
   * Keras's variable paths have it. Set before `build`.
   * @internal
   */
  weightPrefix = '';
  private kernel: tf.LayerVariable | null = null;
  private recurrentKernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  /**
   * @param className the kind's Keras class name (for the default name).
   * @param args the cell's options, checked by the subclass.
   * @param options the same, resolved by `cellOptions`.
   * @param gates how many blocks of `units` columns the kernels have (LSTM 4, GRU 3).
   */
  protected constructor(
    className: string,
    args: CellArgs,
    options: CellOptions,
    private readonly gates: number,
  ) {
    super({ name: args.name ?? defaultLayerName(className), trainable: args.trainable ?? true });
    this.units = options.units;
    this.activation = options.activation;
    this.useBias = options.useBias;
    this.kernelInitializer = options.kernelInitializer;
    this.recurrentInitializer = options.recurrentInitializer;
    this.biasInitializer = options.biasInitializer;
    this.dropout = options.dropout;
    this.recurrentDropout = options.recurrentDropout;
  }

  /** Size of each state, in Keras's order. */
  abstract get stateSizes(): readonly number[];

  /** Runs the cell over every step of `x` [samples, timesteps, features]. */
  abstract runSequence(x: tf.Tensor3D, options: SequenceRunOptions): SequenceRunResult;

  /** @internal */
  abstract get stackable(): boolean;

  /** @internal */
  abstract stackLayer(
    batch: number,
    features: number,
    options: SequenceRunOptions,
  ): RecurrentStackLayer;

  get inputFeatures(): number | null {
    return this.kernel?.shape[0] ?? null;
  }

  /** The bias's shape. Default: [units * gates]. */
  protected biasShape(): number[] {
    return [this.units * this.gates];
  }

  /** The bias's initializer. Default: `biasInitializer`. */
  protected makeBiasInitializer(): Initializer {
    return makeInitializer(this.biasInitializer);
  }

  /** Creates the weights for steps of shape [samples, features]. */
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const features = singleShape(inputShape).at(-1);
    if (features == null) {
      throw new Error(
        `${this.getClassName()} '${this.name}': the number of input features must be known to build the weights.`,
      );
    }
    const width = this.units * this.gates;
    this.kernel = this.addWeight(
      `${this.weightPrefix}${this.name}/kernel`,
      [features, width],
      'float32',
      makeInitializer(this.kernelInitializer),
    );
    this.recurrentKernel = this.addWeight(
      `${this.weightPrefix}${this.name}/recurrent_kernel`,
      [this.units, width],
      'float32',
      makeInitializer(this.recurrentInitializer),
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        `${this.weightPrefix}${this.name}/bias`,
        this.biasShape(),
        'float32',
        this.makeBiasInitializer(),
      );
    }
    this.built = true;
  }

  /** Keras's implementation for this cell: 1, gate by gate, whenever recurrent dropout is on. */
  protected get implementation(): 1 | 2 {
    return this.recurrentDropout > 0 ? 1 : 2;
  }

  /**
   * The dropout masks of a run over `batch` sequences of `features` features, as Keras's
   * DropoutRNNCell draws them: one per gate with implementation 1, else one; none outside
   * training.
   */
  protected runMasks(
    batch: number,
    features: number,
    training: boolean,
  ): { inputMasks?: tf.Tensor2D[]; recurrentMasks?: tf.Tensor2D[] } {
    const count = this.implementation === 1 ? this.gates : 1;
    return {
      inputMasks:
        training && this.dropout > 0
          ? dropoutMasks(batch, features, this.dropout, count)
          : undefined,
      recurrentMasks:
        training && this.recurrentDropout > 0
          ? dropoutMasks(batch, this.units, this.recurrentDropout, count)
          : undefined,
    };
  }

  /**
   * The activations of a gated cell whose run can be one op with hand-written BPTT (see
   * gatedStack): activations whose derivative is a function of their output. null otherwise.
   */
  protected fusedActivations(
    recurrentActivation: string,
  ): { activation: FusedActivation; recurrentActivation: FusedActivation } | null {
    const activation = this.activation;
    if (!isFusedActivation(activation) || !isFusedActivation(recurrentActivation)) return null;
    return { activation, recurrentActivation };
  }

  /**
   * A gated cell as one layer of a kernel stack (see gatedStack), with the dropout masks of a
   * training run: implementation 2's input mask, or implementation 1's masks per gate. Only when
   * `fusedActivations` is not null.
   */
  protected gatedStackLayer(
    kind: GatedStackLayer['kind'],
    recurrentActivation: string,
    resetAfter: boolean,
    [batch, features]: [number, number],
    options: SequenceRunOptions,
  ): GatedStackLayer {
    const fused = this.fusedActivations(recurrentActivation);
    if (fused === null) {
      throw new Error(`${this.getClassName()} '${this.name}': cannot run in a kernel stack.`);
    }
    const { kernel, recurrentKernel, bias } = this.weightTensors();
    const masks = this.runMasks(batch, features, options.training);
    return {
      kind,
      weights: { kernel, recurrentKernel, bias },
      options: {
        ...fused,
        resetAfter,
        goBackwards: options.goBackwards,
        returnSequences: options.returnSequences,
        stepMask: options.stepMask,
      },
      ...(this.implementation === 2
        ? { inputMask: masks.inputMasks?.[0] }
        : { gateMasks: { recurrent: masks.recurrentMasks, input: masks.inputMasks } }),
    };
  }

  /**
   * The whole sequence as one kernel stack of this one layer (see recurrentStack): one op with
   * hand-written BPTT, when the cell can run so. With initial states or `returnState` (the
   * states in Keras's order), in the WebAssembly kernels only (see gatedSequence), else null.
   */
  protected runAsStack(x: tf.Tensor3D, options: SequenceRunOptions): SequenceRunResult | null {
    const { returnState, initialStates } = options;
    const withStates = returnState || initialStates !== undefined;
    if (!this.stackable || (withStates && !useWasmKernel())) return null;
    const [batch, , features] = x.shape;
    return tf.tidy(() => {
      const layer = this.stackLayer(batch, features, options);
      if (!withStates) return { output: recurrentStack(x, [layer]), states: [] };
      if (!isGatedStackLayer(layer)) {
        throw new Error(`${this.getClassName()} '${this.name}': not a gated cell.`);
      }
      const { output, states } = gatedSequence(x, { ...layer, initialStates }, { returnState });
      return { output, states };
    });
  }

  /** Whether `weight` is the cell's bias. */
  protected isBias(weight: tf.LayerVariable): boolean {
    return this.bias !== null && weight === this.bias;
  }

  /** The weights' current values. Throws before `build`. */
  protected weightTensors(): CellWeightTensors {
    if (this.kernel === null || this.recurrentKernel === null) {
      throw new Error(`${this.getClassName()} '${this.name}': used before it was built.`);
    }
    return {
      kernel: this.kernel.read() as tf.Tensor2D,
      recurrentKernel: this.recurrentKernel.read() as tf.Tensor2D,
      bias: this.bias === null ? null : this.bias.read(),
    };
  }

  /** A cell is run by the layer that holds it, not called on its own. */
  override call(_inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    throw new Error(
      `${this.getClassName()} '${this.name}': a cell runs inside a recurrent layer; use its layer (new SimpleRNN({...}), new LSTM({...}), ...) or new StackedRNN({ cells: [...] }).`,
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
