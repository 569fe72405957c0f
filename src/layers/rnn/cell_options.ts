/**
 * The options every recurrent cell kind takes, as Keras's cells have them: their keys, Keras's
 * defaults, the checks, and the Keras options no kind implements yet.
 */
import { checkPositiveInteger, checkRate } from '../../errors';
import { type KeyTable, type NotYetOptions } from '../../option_keys';
import { canonicalActivation } from '../activations';
import { type Initializer, type InitializerSpec, canonicalInitializer } from '../initializers';
import { notYetWeightOptions } from '../layer_args';

/** Options every cell kind takes. */
export interface CellArgs {
  /** Size of the state h_t and of the output. A positive integer. */
  units: number;
  /** Keras activation name (`'tanh'`, `'relu'`, `'sigmoid'`, `'linear'`, ...). Default: 'tanh'. */
  activation?: string | null;
  /** Whether the cell adds a bias vector. Default: true. */
  useBias?: boolean;
  /** Initializer of `kernel` [features, units * gates]. Default: 'glorot_uniform'. */
  kernelInitializer?: InitializerSpec;
  /** Initializer of `recurrent_kernel` [units, units * gates]. Default: 'orthogonal'. */
  recurrentInitializer?: InitializerSpec;
  /** Initializer of `bias`. Default: 'zeros'. */
  biasInitializer?: InitializerSpec;
  /** Fraction of the input features dropped at every step while training. Default: 0. */
  dropout?: number;
  /** Fraction of the previous state dropped at every step while training. Default: 0. */
  recurrentDropout?: number;
  /** The cell's name. Default: the kind's, 'simple_rnn_cell', 'lstm_cell_1', ... */
  name?: string;
  /** Whether training updates the cell's weights. Default: true. */
  trainable?: boolean;
}

/** The keys of a cell's step options: the cell's and its layer's (CellArgs less name, trainable). */
export const CELL_STEP_KEYS: KeyTable<Omit<CellArgs, 'name' | 'trainable'>> = {
  units: true,
  activation: true,
  useBias: true,
  kernelInitializer: true,
  recurrentInitializer: true,
  biasInitializer: true,
  dropout: true,
  recurrentDropout: true,
};

/** Keras's cell options that no kind implements yet. */
export const NOT_YET_CELL_OPTIONS: NotYetOptions = {
  ...notYetWeightOptions('kernel', 'recurrent', 'bias'),
  seed: { hint: 'the cell draws unseeded dropout masks here; leave it out' },
};

/** Keras's options of its gated cells (LSTMCell, GRUCell) that are not implemented yet. */
export const NOT_YET_GATED_CELL_OPTIONS: NotYetOptions = {
  ...NOT_YET_CELL_OPTIONS,
  implementation: {
    default: 2,
    hint: 'the order of the sums follows Keras: implementation 1 only with recurrentDropout',
  },
};

/** A gated cell's `recurrentActivation`, Keras's default 'sigmoid'. */
export function recurrentActivationOption(
  subject: string,
  value: string | null | undefined,
): string {
  return canonicalActivation(subject, value === undefined ? 'sigmoid' : value);
}

/** A cell's options with defaults applied and names checked. */
export interface CellOptions {
  units: number;
  activation: string;
  useBias: boolean;
  kernelInitializer: string | Initializer;
  recurrentInitializer: string | Initializer;
  biasInitializer: string | Initializer;
  dropout: number;
  recurrentDropout: number;
}

/** Applies Keras's defaults to the options every kind takes and checks them, naming `subject`. */
export function cellOptions(subject: string, args: CellArgs): CellOptions {
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
