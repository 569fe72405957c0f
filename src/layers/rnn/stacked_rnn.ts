/**
 * StackedRNN: several SimpleRNN cells in one layer, Keras's
 * `RNN([SimpleRNNCell(80), SimpleRNNCell(100)])`. Each cell reads the whole sequence of the
 * cell before it; `returnSequences` and `returnState` apply to the last cell's output, and the
 * states returned with `returnState` are every cell's, in order, as in Keras.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors';
import { defaultLayerName } from '../naming';
import { type RNNArgs, type RecurrentCell, RNN, RNN_OPTIONS } from './rnn';
import { type SimpleRNNCellArgs, SimpleRNNCell } from './simple_rnn';

/** A cell as given to StackedRNN: built, as options, or as its serialized config. */
export type StackedCellSpec =
  SimpleRNNCell | SimpleRNNCellArgs | { className: string; config: tf.serialization.ConfigDict };

/** Options of StackedRNN. */
export interface StackedRNNArgs extends RNNArgs {
  /** The cells, from the input toward the output. At least one. */
  cells: StackedCellSpec[];
}

/** The keys of StackedRNNArgs. */
export const STACKED_RNN_OPTIONS = RNN_OPTIONS.extend<StackedRNNArgs>({ cells: true });

function isSerializedCell(
  spec: StackedCellSpec,
): spec is { className: string; config: tf.serialization.ConfigDict } {
  return !(spec instanceof SimpleRNNCell) && 'className' in spec && 'config' in spec;
}

function makeCell(spec: StackedCellSpec): SimpleRNNCell {
  if (spec instanceof SimpleRNNCell) return spec;
  if (isSerializedCell(spec)) {
    if (spec.className !== SimpleRNNCell.className) {
      throw new ValueError(
        `StackedRNN: unknown cell class ${JSON.stringify(spec.className)}. Known cell classes: '${SimpleRNNCell.className}'.`,
      );
    }
    return new SimpleRNNCell(spec.config as unknown as SimpleRNNCellArgs);
  }
  return new SimpleRNNCell(spec);
}

/** Several recurrent cells run one after another in a single layer. */
export class StackedRNN extends RNN {
  // Porting note: Keras spells this RNN(StackedRNNCells([...])); the Keras JSON reader maps it.
  static className = 'StackedRNN';
  private readonly stack: SimpleRNNCell[];

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
