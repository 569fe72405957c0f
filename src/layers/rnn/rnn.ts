/**
 * The time axis of recurrent layers, shared by every kind (SimpleRNN, LSTM, GRU) and by
 * StackedRNN: returnSequences, returnState (every cell's states, in Keras's order),
 * goBackwards, validation of the `[samples, timesteps, features]` input, and exposing the
 * cells' weights as the layer's. The step math belongs to the cells' kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors';
import { type RecurrentStackLayer, recurrentStack } from '../../kernels/recurrent_stack';
import type { OptionKeys } from '../../option_keys';
import { KerasLayer } from '../keras_layer';
import {
  BASE_LAYER_OPTIONS,
  type BaseLayerArgs,
  type Kwargs,
  LAYER_CALL_ARGS,
  type LayerCallArgs,
  baseLayerArgs,
  singleInput,
  singleShape,
} from '../layer_args';
import { defaultLayerName } from '../naming';
import type { RecurrentCell, RecurrentCellBase } from './cell';
import { checkSequenceShape } from './sequence_shape';

export type { RecurrentCell, SequenceRunOptions } from './cell';

/** Options of every recurrent layer. */
export interface RNNArgs extends BaseLayerArgs {
  /** Return the output of every step `[samples, timesteps, units]` (needed when another recurrent layer follows), or only the last `[samples, units]`. Default: false. */
  returnSequences?: boolean;
  /** Also return the final state(s) after the output. Default: false. */
  returnState?: boolean;
  /** Process the sequence from its last step to its first; returned sequences come in that order, as in Keras. Default: false. */
  goBackwards?: boolean;
}

/** The keys of RNNArgs, and the options of Keras's RNN not implemented yet. */
export const RNN_OPTIONS = BASE_LAYER_OPTIONS.extend<RNNArgs>(
  { returnSequences: true, returnState: true, goBackwards: true },
  {
    stateful: {
      default: false,
      hint: 'every batch starts from zero states here; leave it out',
    },
    unroll: { default: false, hint: 'the kernels run the time loop themselves; leave it out' },
    zeroOutputForMask: {
      default: false,
      hint: 'it acts on masked steps, and masks are not supported yet; leave it out',
    },
  },
);

/** A recurrent layer's call arguments: `initialState` is refused until it is implemented. */
const RNN_CALL_ARGS = LAYER_CALL_ARGS.extend<LayerCallArgs>(
  {},
  {
    initialState: { hint: 'every sequence starts from zero states here' },
  },
);

/** A layer that runs one or more recurrent cells over the time axis. */
export abstract class RNN extends KerasLayer {
  /** Return every step's output [samples, timesteps, units], else the last [samples, units]. */
  readonly returnSequences: boolean;
  /** Return the last states too: `[output, ...states]` (Keras's order). */
  readonly returnState: boolean;
  /** Read the sequence from its last step to its first; outputs come in that order. */
  readonly goBackwards: boolean;

  protected constructor(args: RNNArgs) {
    super(baseLayerArgs(args));
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.supportsMasking = false;
  }

  protected override callArgs(): OptionKeys<LayerCallArgs> {
    return RNN_CALL_ARGS;
  }

  /** The cells, from the input toward the output. */
  abstract get cells(): readonly RecurrentCell[];

  /** How messages name the layer, e.g. `SimpleRNN 'simple_rnn'`. */
  get subject(): string {
    return `${this.getClassName()} '${this.name}'`;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    checkSequenceShape(this.subject, shape, this.cells.at(0)?.inputFeatures);
    let stepShape: tf.Shape = [shape[0] ?? null, shape[2] ?? null];
    for (const cell of this.cells) {
      if (!cell.built) cell.build(stepShape);
      stepShape = [shape[0] ?? null, cell.units];
    }
    this.built = true;
  }

  /** Why `shape` does not fit `weight`, when one of the cells knows (see writeWeights). */
  weightShapeHint(weight: tf.LayerVariable, shape: readonly number[]): string | undefined {
    return this.cells
      .map((cell) => cell.weightShapeHint?.(weight, shape))
      .find((hint) => hint !== undefined);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = singleShape(inputShape);
    checkSequenceShape(this.subject, shape);
    const [samples, steps] = shape;
    const last = this.lastCell();
    const output: tf.Shape = this.returnSequences
      ? [samples ?? null, steps ?? null, last.units]
      : [samples ?? null, last.units];
    if (!this.returnState) return output;
    const states = this.cells.flatMap((cell) => cell.stateSizes);
    return [output, ...states.map((size): tf.Shape => [samples ?? null, size])];
  }

  /**
   * Whether the layer can run as part of a kernel stack (see `stackLayers`): every cell can,
   * and the layer returns no states.
   * @internal
   */
  get stackable(): boolean {
    return !this.returnState && this.cells.every((cell) => cell.stackable);
  }

  /**
   * The layer's cells as layers of a kernel stack (see recurrentStack), for `batch` sequences of
   * `features` features: the first cell reads backwards with goBackwards, and the last returns
   * every step when `returnSequences` (the layer's own, or true when another layer of the
   * stack follows). Makes the dropout masks of a training run. Only for a `stackable` layer.
   * @internal
   */
  stackLayers(
    batch: number,
    features: number,
    training: boolean,
    returnSequences: boolean,
  ): RecurrentStackLayer[] {
    let width = features;
    return this.cells.map((cell, i) => {
      if (!cell.stackable) {
        throw new Error(`${this.subject}: cell '${cell.name}' cannot run in a kernel stack.`);
      }
      const layer = cell.stackLayer(batch, width, {
        goBackwards: this.goBackwards && i === 0,
        returnSequences: i < this.cells.length - 1 || returnSequences,
        training,
        returnState: false,
      });
      width = cell.units;
      return layer;
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = singleInput(this.subject, inputs);
    checkSequenceShape(this.subject, x.shape, this.cells.at(0)?.inputFeatures);
    const training = kwargs.training === true;
    if (this.stackable) {
      const [batch, , features] = x.shape as [number, number, number];
      return tf.tidy(() =>
        recurrentStack(
          x as tf.Tensor3D,
          this.stackLayers(batch, features, training, this.returnSequences),
        ),
      );
    }
    return tf.tidy(() => {
      let sequence = x as tf.Tensor3D;
      let output: tf.Tensor = sequence;
      const states: tf.Tensor2D[] = [];
      this.cells.forEach((cell, i) => {
        const isLast = i === this.cells.length - 1;
        // Every cell but the last feeds the next one all of its steps. Only the first reads
        // backwards: the ones after it read its outputs, which are in processing order already.
        const result = cell.runSequence(sequence, {
          goBackwards: this.goBackwards && i === 0,
          returnSequences: !isLast || this.returnSequences,
          training,
          returnState: this.returnState,
        });
        // Read only when returned: with returnSequences the state is made on first read.
        if (this.returnState) states.push(...result.states);
        output = result.output;
        sequence = result.output as tf.Tensor3D;
      });
      if (!this.returnState) return output;
      // The last state is the output itself without returnSequences; tfjs's graph executor
      // frees a tensor after its first consumer, so each returned tensor must be distinct.
      return [output, ...states.map((state) => (state === output ? tf.clone(state) : state))];
    });
  }

  /** Whether training updates the layer's weights (its cells' too). */
  override get trainable(): boolean {
    return super.trainable;
  }

  /** Sets whether training updates the layer's weights, and its cells'. */
  override set trainable(value: boolean) {
    super.trainable = value;
    for (const cell of this.cells) cell.trainable = value;
  }

  /** The cells' trainable weights, in Keras's order. */
  override get trainableWeights(): tf.LayerVariable[] {
    if (!this.trainable) return [];
    return this.cells.flatMap((cell) => cell.trainableWeights);
  }

  /** Refused: the weights belong to the cells. */
  override set trainableWeights(_weights: tf.LayerVariable[]) {
    throw new ValueError(
      `${this.subject}: its weights belong to its cells and cannot be replaced.`,
    );
  }

  /** The cells' weights that training does not update. */
  override get nonTrainableWeights(): tf.LayerVariable[] {
    const cellWeights = this.cells.flatMap((cell) => cell.nonTrainableWeights);
    if (this.trainable) return cellWeights;
    return [...this.cells.flatMap((cell) => cell.trainableWeights), ...cellWeights];
  }

  /** The layer's config in Keras's camelCase names (tfjs's serialization). */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
    };
  }

  private lastCell(): RecurrentCell {
    const last = this.cells.at(-1);
    if (last === undefined) throw new ValueError(`${this.subject}: has no cells.`);
    return last;
  }
}

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
