/**
 * The recurrent layers of a model as gradientFlow and stepStates report them: one entry per
 * cell of each recurrent layer (a StackedRNN has several), a Bidirectional layer's forward
 * layer's cells then its backward layer's, in model order.
 */
import type * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { Bidirectional } from '../layers/rnn/bidirectional';
import type { RecurrentCell } from '../layers/rnn/cell';
import { RNN } from '../layers/rnn/rnn';
import { Sequential } from '../models/sequential';

/** One entry: the recurrent layer that runs the cell, the cell, and the entry's name. */
export interface RecurrentEntry {
  /** The layer whose kernel stack runs the cell (a Bidirectional's inner layer for its cells). */
  owner: RNN;
  /** The cell's index in the owner's cells. */
  cell: number;
  /** `layer`, `layer/cell` for a StackedRNN's cells, `bidirectional/inner[/cell]` inside one. */
  name: string;
  /** Whether the cell has a cell state c (an LSTM cell). */
  hasCellState: boolean;
}

/** Refuses anything but a Sequential model, before any work. */
export function checkModel(subject: string, model: unknown): asserts model is Sequential {
  if (!(model instanceof Sequential)) {
    const got =
      model === null || typeof model !== 'object' ? String(model) : model.constructor.name;
    throw new ValueError(
      `${subject}: expected a Sequential model of this package, received ${got}. Build it with new Sequential([...]) or load it with loadKerasModel(...).`,
    );
  }
}

/** The cells of `owner` as entries, named under `prefix` (the Bidirectional's name and a slash). */
function cellEntries(owner: RNN, prefix: string): RecurrentEntry[] {
  const cells: readonly RecurrentCell[] = owner.cells;
  return cells.map((cell, i) => ({
    owner,
    cell: i,
    name: `${prefix}${owner.name}${cells.length > 1 ? `/${cell.name}` : ''}`,
    hasCellState: cell.stateSizes.length === 2,
  }));
}

/**
 * The entries of `layers`. Refuses a model without recurrent layers and a stateful layer (its
 * carried states would change), each by name.
 */
export function recurrentEntries(
  subject: string,
  layers: readonly tf.layers.Layer[],
): RecurrentEntry[] {
  const entries: RecurrentEntry[] = [];
  for (const layer of layers) {
    const inner =
      layer instanceof Bidirectional
        ? [layer.forwardLayer, layer.backwardLayer]
        : layer instanceof RNN
          ? [layer]
          : [];
    for (const rnn of inner) {
      if (rnn.stateful) {
        throw new ValueError(
          `${subject}: layer '${layer.name}' is stateful; reading it would change the states it carries, and stateful layers are not supported here yet. Use a copy of the model without stateful: true (the same weights).`,
        );
      }
      entries.push(...cellEntries(rnn, rnn === layer ? '' : `${layer.name}/`));
    }
  }
  if (entries.length === 0) {
    const names = layers.map((l) => `${l.getClassName()} '${l.name}'`).join(', ');
    throw new ValueError(
      `${subject}: the model has no recurrent layer (SimpleRNN, LSTM, GRU, StackedRNN or Bidirectional), so it has no states to read; its layers: ${names || 'none'}.`,
    );
  }
  return entries;
}
