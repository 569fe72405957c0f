/**
 * LSTMCell and LSTM, Keras's long short-term memory, with Keras's gate order (i, f, c, o),
 * weight names (`lstm/lstm_cell/kernel`), layouts ([features, 4u], [u, 4u], [4u]) and
 * defaults (tanh, sigmoid, forget-gate bias 1). Its states are h and c. The step math is in
 * src/kernels/cells/lstm.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { lstmSequence } from '../../kernels/cells/lstm';
import type { GatedStackLayer } from '../../kernels/cells/gated_stack';
import { type KeyTable, optionKeys } from '../../option_keys';
import type { Initializer } from '../initializers';
import { InitializerBase } from '../orthogonal';
import {
  CELL_STEP_KEYS,
  type CellArgs,
  type CellOptions,
  NOT_YET_GATED_CELL_OPTIONS,
  RecurrentCellBase,
  type SequenceRunOptions,
  type SequenceRunResult,
  cellOptions,
  recurrentActivationOption,
} from './cell';
import { type RNNArgs, RNN_OPTIONS } from './rnn';
import { SingleCellRNN } from './single_cell_rnn';

/** Options of one LSTM step. */
export interface LSTMCellArgs extends CellArgs {
  /** Keras activation of the gates i, f and o (`'hard_sigmoid'` is Keras 3's relu6(x + 3) / 6). Default: 'sigmoid'. */
  recurrentActivation?: string | null;
  /** Start the forget gate's bias at 1 (the rest of the bias from `biasInitializer`). Default: true. */
  unitForgetBias?: boolean;
}

/** The keys LSTMCellArgs adds to a cell's step options. */
const LSTM_STEP_KEYS: KeyTable<Omit<LSTMCellArgs, keyof CellArgs>> = {
  recurrentActivation: true,
  unitForgetBias: true,
};

/** The keys of LSTMCellArgs. */
export const LSTM_CELL_OPTIONS = optionKeys<LSTMCellArgs>(
  { ...CELL_STEP_KEYS, ...LSTM_STEP_KEYS, name: true, trainable: true },
  NOT_YET_GATED_CELL_OPTIONS,
);

/** An LSTM step's own options, with Keras's defaults. */
interface LstmOptions extends CellOptions {
  recurrentActivation: string;
  unitForgetBias: boolean;
}

/** An LSTM cell's initial states as its kernels take them: [h, c], or none. */
function lstmStates(
  states: readonly tf.Tensor2D[] | undefined,
): readonly [tf.Tensor2D, tf.Tensor2D] | undefined {
  if (states === undefined) return undefined;
  const [h, c] = states;
  return [h, c];
}

function lstmOptions(subject: string, args: LSTMCellArgs): LstmOptions {
  return {
    ...cellOptions(subject, args),
    recurrentActivation: recurrentActivationOption(subject, args.recurrentActivation),
    unitForgetBias: args.unitForgetBias ?? true,
  };
}

/** Keras's bias with unit_forget_bias: the initializer's values, with ones for the forget gate. */
class UnitForgetBias extends InitializerBase {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'UnitForgetBias';
  constructor(private readonly base: Initializer) {
    super();
  }
  override apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    const units = (shape[0] ?? 0) / 4;
    return tf.tidy(() =>
      tf.concat([
        this.base.apply([units], dtype),
        tf.ones([units], dtype),
        this.base.apply([2 * units], dtype),
      ]),
    );
  }
  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

/** One LSTM step's weights: `kernel`, `recurrent_kernel` and `bias`, gates i, f, c, o. */
export class LSTMCell extends RecurrentCellBase {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'LSTMCell';
  /** Keras activation of the gates i, f and o. */
  readonly recurrentActivation: string;
  /** Whether the forget gate's bias starts at 1. */
  readonly unitForgetBias: boolean;

  constructor(args: LSTMCellArgs) {
    LSTM_CELL_OPTIONS.check('LSTMCell', args);
    const options = lstmOptions('LSTMCell', args);
    super(LSTMCell.className, args, options, 4);
    this.recurrentActivation = options.recurrentActivation;
    this.unitForgetBias = options.unitForgetBias;
  }

  get stateSizes(): readonly number[] {
    return [this.units, this.units];
  }

  protected override makeBiasInitializer(): Initializer {
    const base = super.makeBiasInitializer();
    return this.unitForgetBias ? new UnitForgetBias(base) : base;
  }

  /** Whether it runs in the kernels' stack: activations whose derivative comes from their output. @internal */
  get stackable(): boolean {
    return this.fusedActivations(this.recurrentActivation) !== null;
  }

  /** The cell as one layer of a kernel stack, with a training run's dropout masks. @internal */
  stackLayer(batch: number, features: number, options: SequenceRunOptions): GatedStackLayer {
    return this.gatedStackLayer(
      'LSTM',
      this.recurrentActivation,
      false,
      [batch, features],
      options,
    );
  }

  runSequence(x: tf.Tensor3D, options: SequenceRunOptions): SequenceRunResult {
    const inStack = this.runAsStack(x, options);
    if (inStack !== null) return inStack;
    const [batch, , features] = x.shape;
    const { kernel, recurrentKernel, bias } = this.weightTensors();
    const weights = { kernel, recurrentKernel, bias: bias as tf.Tensor1D | null };
    return tf.tidy(() =>
      lstmSequence(x, weights, {
        activation: this.activation,
        recurrentActivation: this.recurrentActivation,
        implementation: this.implementation,
        goBackwards: options.goBackwards,
        returnSequences: options.returnSequences,
        stepMask: options.stepMask,
        initialStates: lstmStates(options.initialStates),
        ...this.runMasks(batch, features, options.training),
      }),
    );
  }

  /** Its config in Keras's camelCase names, its kind's options included. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      recurrentActivation: this.recurrentActivation,
      unitForgetBias: this.unitForgetBias,
    };
  }
}

/** Options of the LSTM layer: its cell's and the time axis's. */
export interface LSTMArgs extends RNNArgs, Omit<LSTMCellArgs, 'name'> {}

/** The keys of LSTMArgs. */
export const LSTM_OPTIONS = RNN_OPTIONS.extend<LSTMArgs>(
  { ...CELL_STEP_KEYS, ...LSTM_STEP_KEYS },
  NOT_YET_GATED_CELL_OPTIONS,
);

/**
 * Keras's `LSTM`: input `[samples, timesteps, features]`, output `[samples, units]` (or every
 * step with `returnSequences`); with `returnState`, `[output, h, c]`.
 */
export class LSTM extends SingleCellRNN<LSTMCell> {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'LSTM';

  constructor(args: LSTMArgs) {
    LSTM_OPTIONS.check('LSTM', args);
    const options = lstmOptions('LSTM', args);
    super(LSTM.className, args, () => new LSTMCell({ ...options, name: 'lstm_cell' }));
  }
}

tf.serialization.registerClass(LSTMCell);
tf.serialization.registerClass(LSTM);
