/**
 * GRUCell and GRU, Keras's gated recurrent unit, with Keras's gate order (z, r, h), weight
 * names (`gru/gru_cell/kernel`), layouts ([features, 3u], [u, 3u]; bias [2, 3u] with
 * `resetAfter`, [3u] without) and defaults (tanh, sigmoid, resetAfter). Its state is h. The
 * step math is in src/kernels/cells/gru.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { gruSequence } from '../../kernels/cells/gru';
import type { GatedStackLayer } from '../../kernels/cells/gated_stack';
import { type KeyTable, optionKeys } from '../../option_keys';
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

/** Options of one GRU step. */
export interface GRUCellArgs extends CellArgs {
  /** Keras activation of the gates z and r (`'hard_sigmoid'` is Keras 3's relu6(x + 3) / 6). Default: 'sigmoid'. */
  recurrentActivation?: string | null;
  /** Apply the reset gate after the recurrent product, with a recurrent bias (bias [2, 3u]); false applies it before, bias [3u]. Default: true. */
  resetAfter?: boolean;
}

/** The keys GRUCellArgs adds to a cell's step options. */
const GRU_STEP_KEYS: KeyTable<Omit<GRUCellArgs, keyof CellArgs>> = {
  recurrentActivation: true,
  resetAfter: true,
};

/** The keys of GRUCellArgs. */
export const GRU_CELL_OPTIONS = optionKeys<GRUCellArgs>(
  { ...CELL_STEP_KEYS, ...GRU_STEP_KEYS, name: true, trainable: true },
  NOT_YET_GATED_CELL_OPTIONS,
);

/** A GRU step's own options, with Keras's defaults. */
interface GruOptions extends CellOptions {
  recurrentActivation: string;
  resetAfter: boolean;
}

function gruOptions(subject: string, args: GRUCellArgs): GruOptions {
  return {
    ...cellOptions(subject, args),
    recurrentActivation: recurrentActivationOption(subject, args.recurrentActivation),
    resetAfter: args.resetAfter ?? true,
  };
}

/** One GRU step's weights: `kernel`, `recurrent_kernel` and `bias`, gates z, r, h. */
export class GRUCell extends RecurrentCellBase {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'GRUCell';
  /** Keras activation of the gates z and r. */
  readonly recurrentActivation: string;
  /** Whether the reset gate applies after the recurrent product (bias [2, 3 * units]) or before it ([3 * units]). */
  readonly resetAfter: boolean;

  constructor(args: GRUCellArgs) {
    GRU_CELL_OPTIONS.check('GRUCell', args);
    const options = gruOptions('GRUCell', args);
    super(GRUCell.className, args, options, 3);
    this.recurrentActivation = options.recurrentActivation;
    this.resetAfter = options.resetAfter;
  }

  get stateSizes(): readonly number[] {
    return [this.units];
  }

  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  /** A bias of the other `resetAfter` mode says which option it was trained with. */
  weightShapeHint(weight: tf.LayerVariable, shape: readonly number[]): string | undefined {
    const other = this.resetAfter ? [3 * this.units] : [2, 3 * this.units];
    if (!this.isBias(weight) || shape.join(',') !== other.join(',')) return undefined;
    return `That is the bias of a GRU with \`resetAfter: ${String(!this.resetAfter)}\`; this one has \`resetAfter: ${String(this.resetAfter)}\` ([2, 3 * units] with it, [3 * units] without): build the layer with the option the weights were trained with.`;
  }

  /** Whether it runs in the kernels' stack: activations whose derivative comes from their output. @internal */
  get stackable(): boolean {
    return this.fusedActivations(this.recurrentActivation) !== null;
  }

  /** The cell as one layer of a kernel stack, with a training run's dropout masks. @internal */
  stackLayer(batch: number, features: number, options: SequenceRunOptions): GatedStackLayer {
    return this.gatedStackLayer(
      'GRU',
      this.recurrentActivation,
      this.resetAfter,
      [batch, features],
      options,
    );
  }

  runSequence(x: tf.Tensor3D, options: SequenceRunOptions): SequenceRunResult {
    const inStack = this.runAsStack(x, options);
    if (inStack !== null) return inStack;
    const [batch, , features] = x.shape;
    const weights = this.weightTensors();
    return tf.tidy(() =>
      gruSequence(x, weights, {
        activation: this.activation,
        recurrentActivation: this.recurrentActivation,
        resetAfter: this.resetAfter,
        implementation: this.implementation,
        goBackwards: options.goBackwards,
        returnSequences: options.returnSequences,
        stepMask: options.stepMask,
        initialState: options.initialStates?.[0],
        ...this.runMasks(batch, features, options.training),
      }),
    );
  }

  /** Its config in Keras's camelCase names, its kind's options included. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      recurrentActivation: this.recurrentActivation,
      resetAfter: this.resetAfter,
    };
  }
}

/** Options of the GRU layer: its cell's and the time axis's. */
export interface GRUArgs extends RNNArgs, Omit<GRUCellArgs, 'name'> {}

/** The keys of GRUArgs. */
export const GRU_OPTIONS = RNN_OPTIONS.extend<GRUArgs>(
  { ...CELL_STEP_KEYS, ...GRU_STEP_KEYS },
  NOT_YET_GATED_CELL_OPTIONS,
);

/**
 * Keras's `GRU`: input `[samples, timesteps, features]`, output `[samples, units]` (or every
 * step with `returnSequences`); with `returnState`, `[output, h]`.
 */
export class GRU extends SingleCellRNN<GRUCell> {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'GRU';

  constructor(args: GRUArgs) {
    GRU_OPTIONS.check('GRU', args);
    const options = gruOptions('GRU', args);
    super(GRU.className, args, () => new GRUCell({ ...options, name: 'gru_cell' }));
  }
}

tf.serialization.registerClass(GRUCell);
tf.serialization.registerClass(GRU);
