/**
 * The time axis of recurrent layers, shared by every kind (SimpleRNN, LSTM, GRU) and by
 * StackedRNN: returnSequences, returnState (every cell's states, in Keras's order),
 * goBackwards, validation of the `[samples, timesteps, features]` input, and exposing the
 * cells' weights as the layer's. The step math belongs to the cells' kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors';
import { type RecurrentStackLayer, recurrentStack } from '../../kernels/recurrent_stack';
import { stateTapOf } from '../../kernels/state_taps';
import type { OptionKeys } from '../../option_keys';
import { KerasLayer } from '../keras_layer';
import {
  BASE_LAYER_OPTIONS,
  type BaseLayerArgs,
  type Kwargs,
  type LayerCallArgs,
  MASKED_CALL_ARGS,
  type MaskedCallArgs,
  baseLayerArgs,
  singleShape,
} from '../layer_args';
import type { RecurrentCell } from './cell';
import { NO_MASK, callMask, firstMask, stepMaskOf } from '../masks';
import { maskedOutput, processingOrder, zeroOutputFactor } from './output_mask';
import { CarriedStates } from './carried_states';
import { checkInitialStates, statesAsInputs, statesPerCell } from './initial_states';
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
  /** With a mask, output zeros at padding steps instead of the output of the step before (Keras's `zero_output_for_mask`). Default: false. */
  zeroOutputForMask?: boolean;
  /** Carry the last states of each batch over as the first states of the next (across predict, evaluate and fit) until resetStates(). Needs a fixed batch size: `batchInputShape` on the model's first layer, or `batchSize` with `inputShape`. Default: false. */
  stateful?: boolean;
}

/** The keys of RNNArgs, and the options of Keras's RNN not implemented yet. */
export const RNN_OPTIONS = BASE_LAYER_OPTIONS.extend<RNNArgs>(
  {
    returnSequences: true,
    returnState: true,
    goBackwards: true,
    zeroOutputForMask: true,
    stateful: true,
  },
  {
    unroll: { default: false, hint: 'the kernels run the time loop themselves; leave it out' },
  },
);

/** A recurrent layer's call arguments. */
export interface RNNCallArgs extends MaskedCallArgs {
  /**
   * The states before the first step, in Keras's order: an LSTM's [h, c], a StackedRNN's
   * cells' in order; each [samples, size]. Default: zeros.
   */
  initialState?: tf.Tensor | tf.Tensor[] | null;
}

/** The keys of RNNCallArgs. */
const RNN_CALL_ARGS = MASKED_CALL_ARGS.extend<RNNCallArgs>({ initialState: true });

/** A layer that runs one or more recurrent cells over the time axis. */
export abstract class RNN extends KerasLayer {
  /** Return every step's output [samples, timesteps, units], else the last [samples, units]. */
  readonly returnSequences: boolean;
  /** Return the last states too: `[output, ...states]` (Keras's order). */
  readonly returnState: boolean;
  /** Read the sequence from its last step to its first; outputs come in that order. */
  readonly goBackwards: boolean;
  /**
   * With a mask, zeros at padding steps instead of the output of the step before. Bidirectional
   * sets it to `returnSequences` on both of its layers, as Keras's does.
   */
  zeroOutputForMask: boolean;

  protected constructor(args: RNNArgs) {
    super(baseLayerArgs(args));
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.zeroOutputForMask = args.zeroOutputForMask ?? false;
    this._stateful = args.stateful ?? false;
    this.supportsMasking = true;
  }

  /** The states a stateful layer carries between calls (null until it is built, or not stateful). */
  private carried: CarriedStates | null = null;

  protected override callArgs(): OptionKeys<LayerCallArgs> {
    return RNN_CALL_ARGS;
  }

  /**
   * Checks the initial states and a mask against the input before tfjs builds the weights,
   * then applies. Initial states become extra inputs of the layer, so that they flow through a
   * `tf.model` graph too (tfjs's executor passes them back as inputs).
   */
  override apply(
    inputs: Parameters<KerasLayer['apply']>[0],
    kwargs?: Kwargs,
  ): ReturnType<KerasLayer['apply']> {
    const args = statesAsInputs(this.subject, inputs, kwargs, (batch, states) => {
      checkInitialStates(this.subject, this.cells, batch, states);
    });
    return super.apply(args.inputs, args.kwargs);
  }

  /** The mask of the output: the input's with `returnSequences`, else none; none on the states. */
  override computeMask(
    _inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | tf.Tensor[],
  ): tf.Tensor | tf.Tensor[] {
    const output = (this.returnSequences ? firstMask(mask) : null) ?? NO_MASK;
    if (!this.returnState) return output;
    return [output, ...this.cells.flatMap((cell) => cell.stateSizes.map(() => NO_MASK))];
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
    const batch = shape[0] ?? null;
    if (this.stateful && batch === null) {
      throw new ValueError(
        `${this.subject}: stateful: true needs a fixed batch size, for the states it carries between batches; the input's is not known. Give the model's first layer batchInputShape: [batch, timesteps, features], or batchSize with inputShape.`,
      );
    }
    let stepShape: tf.Shape = [batch, shape[2] ?? null];
    for (const cell of this.cells) {
      if (!cell.built) cell.build(stepShape);
      stepShape = [batch, cell.units];
    }
    if (this.stateful && batch !== null) {
      this.carried ??= new CarriedStates(
        this.subject,
        batch,
        this.cells.flatMap((cell) => cell.stateSizes),
      );
    }
    this.built = true;
  }

  /**
   * Resets a stateful layer's states: to zeros, or to `states` (each [batch, size], in Keras's
   * order), as Keras's `reset_state()`. Refused on a layer that is not stateful.
   */
  override resetStates(states?: tf.Tensor | tf.Tensor[]): void {
    if (!this.stateful) {
      throw new ValueError(
        `${this.subject}: is not stateful, so it keeps no states between calls to reset. Create it with stateful: true to carry them.`,
      );
    }
    this.carried?.reset(states === undefined ? undefined : [states].flat());
  }

  /**
   * The states a stateful layer carries into its next call (zeros after a reset), in Keras's
   * order, as copies the caller owns; [] before the layer is built.
   */
  getStates(): tf.Tensor2D[] {
    if (!this.stateful) {
      throw new ValueError(
        `${this.subject}: is not stateful, so it keeps no states between calls.`,
      );
    }
    return this.carried?.read() ?? [];
  }

  /** Frees the weights, and a stateful layer's carried states with them. */
  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) this.disposeStates();
    return result;
  }

  /**
   * Frees a stateful layer's carried states (a layer inside another, as Bidirectional's, whose
   * weights its wrapper frees).
   * @internal
   */
  disposeStates(): void {
    this.carried?.dispose();
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
    return !this.returnState && !this.stateful && this.cells.every((cell) => cell.stackable);
  }

  /**
   * The layer's cells as layers of a kernel stack (see recurrentStack), for `batch` sequences of
   * `features` features: the first cell reads backwards with goBackwards, and the last returns
   * every step when `returnSequences` (the layer's own, or true when another layer of the
   * stack follows). Makes the dropout masks of a training run. With a `stepMask` (see
   * SequenceRunOptions) the cells skip padding steps, and with `zeroOutputForMask` the last
   * cell's returned sequence is zero there (its `outputMask`), unless `zeroOutputAsFactor` is
   * false (the caller zeroes those steps itself). Only for a `stackable` layer.
   * @internal
   */
  stackLayers(
    batch: number,
    features: number,
    training: boolean,
    returnSequences: boolean,
    stepMask?: tf.Tensor2D,
    zeroOutputAsFactor = true,
  ): RecurrentStackLayer[] {
    let width = features;
    return this.cells.map((cell, i) => {
      if (!cell.stackable) {
        throw new Error(`${this.subject}: cell '${cell.name}' cannot run in a kernel stack.`);
      }
      const isLast = i === this.cells.length - 1;
      const layer = cell.stackLayer(batch, width, {
        goBackwards: this.goBackwards && i === 0,
        returnSequences: !isLast || returnSequences,
        training,
        returnState: false,
        stepMask: this.cellStepMask(stepMask, i),
      });
      // While gradientFlow records, the backward pass reports the cell's state gradients.
      const tap = stateTapOf(this, i);
      if (tap !== undefined) layer.stateTap = tap;
      if (isLast && returnSequences && zeroOutputAsFactor) {
        const zeros = zeroOutputFactor(stepMask, this, cell.units);
        if (zeros !== undefined) layer.outputMask = zeros;
      }
      width = cell.units;
      return layer;
    });
  }

  /**
   * The step mask of cell `i`: the layer's own for the first cell; in the first cell's
   * processing order for the cells after it, which read its outputs in that order.
   */
  private cellStepMask(stepMask: tf.Tensor2D | undefined, i: number): tf.Tensor2D | undefined {
    if (stepMask === undefined || i === 0) return stepMask;
    return processingOrder(stepMask, this.goBackwards);
  }

  /**
   * The layer's last output [samples, units] with `zeroOutputForMask`: zeros where the last
   * processed step is padding. Unchanged without a mask, the option, or with returnSequences.
   * @internal
   */
  maskedLastOutput(output: tf.Tensor, stepMask: tf.Tensor2D | undefined): tf.Tensor {
    if (this.returnSequences) return output;
    return maskedOutput(output, stepMask, this, false);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const [x, ...given] = Array.isArray(inputs) ? inputs : [inputs];
    checkSequenceShape(this.subject, x.shape, this.cells.at(0)?.inputFeatures);
    if (given.length > 0) checkInitialStates(this.subject, this.cells, x.shape[0], given);
    this.carried?.checkBatch(x.shape[0] ?? 0);
    // A stateful layer starts from the states it carries, unless it is given others.
    const initial = given.length > 0 ? given : [...(this.carried?.current ?? [])];
    const keepStates = this.returnState || this.carried !== null;
    const mask = callMask(this.subject, kwargs, x);
    const training = kwargs.training === true;
    if (this.stackable && initial.length === 0) {
      const [batch, , features] = x.shape as [number, number, number];
      return tf.tidy(() => {
        const stepMask = mask === undefined ? undefined : stepMaskOf(mask);
        const output = recurrentStack(
          x as tf.Tensor3D,
          this.stackLayers(batch, features, training, this.returnSequences, stepMask),
        );
        return this.maskedLastOutput(output, stepMask);
      });
    }
    return tf.tidy(() => {
      const stepMask = mask === undefined ? undefined : stepMaskOf(mask);
      const perCell = initial.length === 0 ? undefined : statesPerCell(this.cells, initial);
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
          returnState: keepStates,
          stepMask: this.cellStepMask(stepMask, i),
          initialStates: perCell?.[i],
        });
        // Read only when needed: with returnSequences the state is made on first read.
        if (keepStates) states.push(...result.states);
        output = result.output;
        sequence = result.output as tf.Tensor3D;
      });
      output = maskedOutput(output, stepMask, this, perCell !== undefined);
      this.carried?.replace(states);
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
      zeroOutputForMask: this.zeroOutputForMask,
      stateful: this.stateful,
    };
  }

  private lastCell(): RecurrentCell {
    const last = this.cells.at(-1);
    if (last === undefined) throw new ValueError(`${this.subject}: has no cells.`);
    return last;
  }
}
