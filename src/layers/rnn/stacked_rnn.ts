/**
 * StackedRNN: several recurrent cells of any kinds in one layer, Keras's
 * `RNN([GRUCell(5), LSTMCell(4), SimpleRNNCell(3)])`. Each cell reads the whole sequence of the
 * cell before it; `returnSequences` and `returnState` apply to the last cell's output, and the
 * states returned with `returnState` are every cell's, in order (an LSTM cell's h and c), as in
 * Keras.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatNames } from '../../errors';
import { defaultLayerName } from '../naming';
import { type CellArgs, RecurrentCellBase } from './cell';
import { GRUCell } from './gru';
import { LSTMCell } from './lstm';
import { type RNNArgs, type RecurrentCell, RNN, RNN_OPTIONS } from './rnn';
import { type SimpleRNNCellArgs, SimpleRNNCell } from './simple_rnn';

/** The cell kinds a StackedRNN builds from a serialized cell, by Keras class name. */
const CELL_KINDS: Readonly<Record<string, (config: CellArgs) => RecurrentCellBase>> = {
  SimpleRNNCell: (config) => new SimpleRNNCell(config),
  LSTMCell: (config) => new LSTMCell(config),
  GRUCell: (config) => new GRUCell(config),
};

/**
 * A cell as given to StackedRNN: built (`new LSTMCell({ units: 4 })`), as SimpleRNNCell
 * options (`{ units: 3 }`), or as its serialized config (`{ className: 'GRUCell', config }`).
 */
export type StackedCellSpec =
  SimpleRNNCell | LSTMCell | GRUCell | SimpleRNNCellArgs | SerializedCell;

/** A cell as tfjs serializes it: `{ className: 'GRUCell', config }`. */
export interface SerializedCell {
  /** The cell's class name. */
  className: string;
  /** Its config. */
  config: tf.serialization.ConfigDict;
}

/** Options of StackedRNN. */
export interface StackedRNNArgs extends RNNArgs {
  /** The cells, from the input toward the output. At least one. */
  cells: StackedCellSpec[];
}

/** The keys of StackedRNNArgs. */
export const STACKED_RNN_OPTIONS = RNN_OPTIONS.extend<StackedRNNArgs>({ cells: true });

function makeCell(spec: StackedCellSpec): RecurrentCellBase {
  if (spec instanceof RecurrentCellBase) return spec;
  if ('className' in spec && 'config' in spec) {
    const make = Object.hasOwn(CELL_KINDS, spec.className) ? CELL_KINDS[spec.className] : undefined;
    if (make === undefined) {
      throw new ValueError(
        `StackedRNN: unknown cell class ${JSON.stringify(spec.className)}. Known cell classes: ${formatNames(Object.keys(CELL_KINDS))}.`,
      );
    }
    return make(spec.config as unknown as CellArgs);
  }
  return new SimpleRNNCell(spec);
}

/** Several recurrent cells run one after another in a single layer. */
export class StackedRNN extends RNN {
  // Porting note: Keras spells this RNN(StackedRNNCells([...])); the Keras JSON reader maps it.
  /** The class name under which tfjs serializes and deserializes it. */
  static className = 'StackedRNN';
  private readonly stack: RecurrentCellBase[];

  constructor(args: StackedRNNArgs) {
    STACKED_RNN_OPTIONS.check('StackedRNN', args);
    if (!Array.isArray(args.cells) || args.cells.length === 0) {
      throw new ValueError(
        'StackedRNN: expected `cells` to be a non-empty list of cells, received ' +
          JSON.stringify(args.cells) +
          '.',
      );
    }
    const stack = args.cells.map(makeCell);
    const names = new Set<string>();
    for (const cell of stack) {
      if (names.has(cell.name)) {
        throw new ValueError(
          `StackedRNN: two cells are named '${cell.name}'; cell names must be unique in a layer.`,
        );
      }
      names.add(cell.name);
    }
    stack.forEach((cell, i) => {
      const before = stack.at(i - 1);
      if (i > 0 && before !== undefined && cell.inputFeatures !== null) {
        if (cell.inputFeatures !== before.units) {
          throw new ValueError(
            `StackedRNN: cell '${cell.name}' was built for ${cell.inputFeatures} input features, but the cell before it, '${before.name}', outputs ${before.units}: each cell reads the units of the one before. Give cells that are not built yet, or sizes that chain.`,
          );
        }
      }
    });
    super({ ...args, name: args.name ?? defaultLayerName(StackedRNN.className) });
    this.stack = stack;
  }

  get cells(): readonly RecurrentCell[] {
    return this.stack;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      cells: this.stack.map((cell) => ({
        className: cell.getClassName(),
        config: cell.getConfig(),
      })),
    };
  }
}

tf.serialization.registerClass(StackedRNN);
