/**
 * SimpleRNNCell (one step's weights and options) and SimpleRNN (a layer that builds one cell):
 *
 *   h_t = activation(x_t · kernel + h_{t-1} · recurrent_kernel + bias),   h_0 = 0
 *
 * with Keras's weight names, layouts and defaults.
 */
import * as tf from '@tensorflow/tfjs';
import { type SimpleRnnStackLayer, simpleRnnSequence } from '../../kernels/simple_rnn';
import { optionKeys } from '../../option_keys';
import {
  CELL_STEP_KEYS,
  type CellArgs,
  NOT_YET_CELL_OPTIONS,
  RecurrentCellBase,
  type SequenceRunOptions,
  type SequenceRunResult,
  cellOptions,
} from './cell';
import { type RNNArgs, RNN_OPTIONS } from './rnn';
import { SingleCellRNN } from './single_cell_rnn';

/** Options of one SimpleRNN step: those of every cell kind. */
export type SimpleRNNCellArgs = CellArgs;

/** The keys of SimpleRNNCellArgs. */
export const SIMPLE_RNN_CELL_OPTIONS = optionKeys<SimpleRNNCellArgs>(
  { ...CELL_STEP_KEYS, name: true, trainable: true },
  NOT_YET_CELL_OPTIONS,
);

/** One SimpleRNN step's weights: `kernel`, `recurrent_kernel` and `bias`. */
export class SimpleRNNCell extends RecurrentCellBase {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'SimpleRNNCell';

  constructor(args: SimpleRNNCellArgs) {
    SIMPLE_RNN_CELL_OPTIONS.check('SimpleRNNCell', args);
    super(SimpleRNNCell.className, args, cellOptions('SimpleRNNCell', args), 1);
  }

  get stateSizes(): readonly number[] {
    return [this.units];
  }

  runSequence(x: tf.Tensor3D, options: SequenceRunOptions): SequenceRunResult {
    const [batch, , features] = x.shape;
    const { weights, options: sequenceOptions } = this.stackLayer(batch, features, options);
    const result = simpleRnnSequence(x, weights, sequenceOptions);
    return {
      output: result.output,
      // Read only when asked: with returnSequences the kernels make the state on first read.
      get states(): tf.Tensor2D[] {
        return [result.state];
      },
    };
  }

  /** Every SimpleRNN cell runs in a kernel stack (other activations step by step there). @internal */
  get stackable(): boolean {
    return true;
  }

  /**
   * The cell's weights and options for a run over `batch` sequences of `features` features,
   * as one layer of a kernel stack (see simpleRnnStack); makes the dropout masks of a
   * training run.
   * @internal
   */
  stackLayer(batch: number, features: number, options: SequenceRunOptions): SimpleRnnStackLayer {
    const { kernel, recurrentKernel, bias } = this.weightTensors();
    const { inputMasks, recurrentMasks } = this.runMasks(batch, features, options.training);
    return {
      weights: { kernel, recurrentKernel, bias: bias as tf.Tensor1D | null },
      options: {
        activation: this.activation,
        goBackwards: options.goBackwards,
        returnSequences: options.returnSequences,
        stepMask: options.stepMask,
        initialState: options.initialStates?.[0],
        inputMask: inputMasks?.[0],
        recurrentMask: recurrentMasks?.[0],
      },
    };
  }
}

/** Options of the SimpleRNN layer: its cell's and the time axis's. */
export interface SimpleRNNArgs extends RNNArgs, Omit<SimpleRNNCellArgs, 'name'> {}

/** The keys of SimpleRNNArgs. */
export const SIMPLE_RNN_OPTIONS = RNN_OPTIONS.extend<SimpleRNNArgs>(
  CELL_STEP_KEYS,
  NOT_YET_CELL_OPTIONS,
);

/**
 * A fully-connected recurrent layer, Keras's `SimpleRNN`: input `[samples, timesteps,
 * features]`, output `[samples, units]` (or `[samples, timesteps, units]` with
 * `returnSequences`), weights shared by every step.
 */
export class SimpleRNN extends SingleCellRNN<SimpleRNNCell> {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'SimpleRNN';

  constructor(args: SimpleRNNArgs) {
    SIMPLE_RNN_OPTIONS.check('SimpleRNN', args);
    const options = cellOptions('SimpleRNN', args);
    super(
      SimpleRNN.className,
      args,
      () => new SimpleRNNCell({ ...options, name: 'simple_rnn_cell' }),
    );
  }
}

tf.serialization.registerClass(SimpleRNNCell);
tf.serialization.registerClass(SimpleRNN);
