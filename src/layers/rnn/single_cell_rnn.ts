/**
 * The base of the recurrent layers of one cell (SimpleRNN, LSTM, GRU): the cell's options are
 * the layer's, and the layer's config is Keras's flat one.
 */
import * as tf from '@tensorflow/tfjs';
import { defaultLayerName } from '../naming';
import type { RecurrentCell, RecurrentCellBase } from './cell';
import { type RNNArgs, RNN } from './rnn';

/** A recurrent layer of one cell (SimpleRNN, LSTM, GRU): the cell's options are the layer's. */
export abstract class SingleCellRNN<C extends RecurrentCellBase> extends RNN {
  /** The layer's one cell, which owns its weights. */
  readonly cell: C;

  /**
   * @param className the layer's Keras class name (for its default name).
   * @param args the layer's options, checked by the subclass.
   * @param makeCell builds the cell, after the layer has its name.
   */
  protected constructor(className: string, args: RNNArgs, makeCell: () => C) {
    super({ ...args, name: args.name ?? defaultLayerName(className) });
    this.cell = makeCell();
  }

  get cells(): readonly RecurrentCell[] {
    return [this.cell];
  }

  /** The cell's units: the size of the output and of each state. */
  get units(): number {
    return this.cell.units;
  }

  /** The layer's config: the time options and the cell's (Keras's flat layer config). */
  override getConfig(): tf.serialization.ConfigDict {
    const { name: _cellName, trainable: _cellTrainable, ...cellConfig } = this.cell.getConfig();
    return { ...super.getConfig(), ...cellConfig };
  }
}
