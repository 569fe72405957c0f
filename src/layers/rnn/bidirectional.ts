/**
 * Bidirectional: a recurrent layer run over the sequence in both directions, Keras's
 * `Bidirectional`. The forward layer is a fresh copy of the given layer (`forward_<name>`); the
 * backward one is another copy with `goBackwards` (`backward_<name>`), or the `backwardLayer`
 * given. The backward layer's returned sequence is flipped back to input order, then the two
 * outputs merge: concatenated (forward first), summed, multiplied, averaged, or both returned.
 * Weights come forward layer first, as in Keras; with `returnState`, the forward layer's states,
 * then the backward layer's. A mask reaches both layers; with returnSequences both output zeros
 * at padding steps (Keras forces `zero_output_for_mask` to `return_sequences`).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors';
import type { OptionKeys } from '../../option_keys';
import { KerasLayer } from '../keras_layer';
import {
  BASE_LAYER_OPTIONS,
  type BaseLayerArgs,
  type Kwargs,
  type LayerCallArgs,
  MASKED_CALL_ARGS,
  baseLayerArgs,
  singleShape,
} from '../layer_args';
import { reverseSteps } from '../../kernels/reverse_steps';
import { NO_MASK, callMask, firstMask } from '../masks';
import { defaultLayerName, describeLayer } from '../naming';
import { RecurrentCellBase } from './cell';
import { checkInitialStates, statesAsInputs } from './initial_states';
import { type MergeMode, directionsOf, layerFromConfig } from './bidirectional_pair';
import { RNN } from './rnn';
import { type Directions, bothAtOnce, concatAtOnce } from './bidirectional_kernels';

export type { MergeMode } from './bidirectional_pair';

/** Options of Bidirectional. */
export interface BidirectionalArgs extends BaseLayerArgs {
  /** The recurrent layer (SimpleRNN, LSTM, GRU, StackedRNN) to run forward; copied, not used itself. */
  layer: RNN;
  /** How the two outputs combine: `'concat'` (forward first), `'sum'`, `'mul'`, `'ave'`, or null (both outputs). Default: 'concat'. */
  mergeMode?: MergeMode;
  /** The layer that reads backwards (with `goBackwards: true`, and the same returnSequences and returnState). Default: a copy of `layer` with goBackwards. */
  backwardLayer?: RNN;
}

/** The keys of BidirectionalArgs. */
export const BIDIRECTIONAL_OPTIONS = BASE_LAYER_OPTIONS.extend<BidirectionalArgs>({
  layer: true,
  mergeMode: true,
  backwardLayer: true,
});

/** Keras's `Bidirectional` wrapper of a recurrent layer. */
export class Bidirectional extends KerasLayer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'Bidirectional';
  /** The layer that reads the sequence from its first step. */
  readonly forwardLayer: RNN;
  /** The layer that reads it from its last step. */
  readonly backwardLayer: RNN;
  /** How the two outputs combine. */
  readonly mergeMode: MergeMode;

  constructor(args: BidirectionalArgs) {
    BIDIRECTIONAL_OPTIONS.check('Bidirectional', args);
    const { forward, backward, mergeMode } = directionsOf(args);
    super(baseLayerArgs({ ...args, name: args.name ?? defaultLayerName(Bidirectional.className) }));
    // Keras: with a mask, both directions output zeros at padding steps when they return
    // sequences, so that the merged steps line up.
    forward.zeroOutputForMask = forward.returnSequences;
    backward.zeroOutputForMask = backward.returnSequences;
    // Keras's variable paths: bidirectional/forward_lstm/lstm_cell/kernel.
    for (const layer of [forward, backward]) {
      for (const cell of layer.cells) {
        if (cell instanceof RecurrentCellBase && !cell.built) cell.weightPrefix = `${layer.name}/`;
      }
    }
    this.forwardLayer = forward;
    this.backwardLayer = backward;
    this.mergeMode = mergeMode;
    this._stateful = forward.stateful;
    this.supportsMasking = true;
  }

  /**
   * Resets both directions' states (a stateful layer's): to zeros, or to `states`, the forward
   * layer's then the backward layer's.
   */
  override resetStates(states?: tf.Tensor | tf.Tensor[]): void {
    if (states === undefined) {
      this.forwardLayer.resetStates();
      this.backwardLayer.resetStates();
      return;
    }
    const [forward, backward] = this.splitStates([states].flat());
    this.forwardLayer.resetStates(forward);
    this.backwardLayer.resetStates(backward);
  }

  /** Frees both directions' weights, and their carried states when stateful. */
  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      this.forwardLayer.disposeStates();
      this.backwardLayer.disposeStates();
    }
    return result;
  }

  /** Copies of the states both directions carry (a stateful layer's): forward, then backward. */
  getStates(): tf.Tensor2D[] {
    return [...this.forwardLayer.getStates(), ...this.backwardLayer.getStates()];
  }

  protected override callArgs(): OptionKeys<LayerCallArgs> {
    return MASKED_CALL_ARGS;
  }

  /** Whether each direction returns every step. */
  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  /** Whether the states follow the output: the forward layer's, then the backward layer's. */
  get returnState(): boolean {
    return this.forwardLayer.returnState;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    if (!this.forwardLayer.built) this.forwardLayer.build(shape);
    if (!this.backwardLayer.built) this.backwardLayer.build(shape);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = singleShape(inputShape);
    const [forwardOut, ...forwardStates] = outputShapes(this.forwardLayer, shape);
    const [backwardOut, ...backwardStates] = outputShapes(this.backwardLayer, shape);
    const merged: tf.Shape[] =
      this.mergeMode === null
        ? [forwardOut, backwardOut]
        : this.mergeMode === 'concat'
          ? // Porting note: Keras's shape says twice the forward units; its output has the sum.
            [[...forwardOut.slice(0, -1), sumOf(forwardOut.at(-1), backwardOut.at(-1))]]
          : [forwardOut];
    const all = [...merged, ...forwardStates, ...backwardStates];
    const [only] = all;
    return all.length === 1 ? only : all;
  }

  /** The mask of the output(s): the input's with returnSequences (on each output with mergeMode null). */
  override computeMask(
    _inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | tf.Tensor[],
  ): tf.Tensor | tf.Tensor[] {
    const output = (this.returnSequences ? firstMask(mask) : null) ?? NO_MASK;
    const outputs = this.mergeMode === null ? [output, output] : [output];
    if (!this.returnState) return outputs.length === 1 ? output : outputs;
    const states = [this.forwardLayer, this.backwardLayer].flatMap((layer) =>
      layer.cells.flatMap((cell) => cell.stateSizes.map(() => NO_MASK)),
    );
    return [...outputs, ...states];
  }

  /**
   * Checks a given mask and initial states before tfjs builds the weights, then applies. The
   * initial states (the forward layer's, then the backward layer's, as Keras takes them)
   * become extra inputs, as a recurrent layer's do.
   */
  override apply(
    inputs: Parameters<KerasLayer['apply']>[0],
    kwargs?: Kwargs,
  ): ReturnType<KerasLayer['apply']> {
    const subject = describeLayer(this);
    const args = statesAsInputs(subject, inputs, kwargs, (batch, states) => {
      const [forward, backward] = this.splitStates(states);
      checkInitialStates(`${subject}: forward layer`, this.forwardLayer.cells, batch, forward);
      checkInitialStates(`${subject}: backward layer`, this.backwardLayer.cells, batch, backward);
    });
    return super.apply(args.inputs, args.kwargs);
  }

  /** The given initial states cut into the forward layer's and the backward layer's. */
  private splitStates<T>(states: readonly T[]): [T[], T[]] {
    const count = (layer: RNN): number => layer.cells.reduce((n, c) => n + c.stateSizes.length, 0);
    const forward = count(this.forwardLayer);
    const backward = count(this.backwardLayer);
    if (states.length !== forward + backward) {
      throw new ValueError(
        `${describeLayer(this)}: expected ${forward + backward} initial states (the forward layer's ${forward}, then the backward layer's ${backward}), received ${states.length}.`,
      );
    }
    return [states.slice(0, forward), states.slice(forward)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const [x, ...initial] = Array.isArray(inputs) ? inputs : [inputs];
    const mask = callMask(describeLayer(this), kwargs, x);
    const inner = { training: kwargs.training === true, ...(mask === undefined ? {} : { mask }) };
    const [forwardInitial, backwardInitial] =
      initial.length === 0 ? [undefined, undefined] : this.splitStates(initial);
    const withStates = (states: tf.Tensor[] | undefined): Kwargs =>
      states === undefined ? inner : { ...inner, initialState: states };
    const directions: Directions = [this.forwardLayer, this.backwardLayer];
    return tf.tidy(() => {
      if (initial.length === 0 && this.returnSequences && this.mergeMode === 'concat') {
        const merged = concatAtOnce(directions, x, mask, inner.training);
        if (merged !== undefined) return merged;
      }
      const paired =
        initial.length === 0 ? bothAtOnce(directions, x, mask, inner.training) : undefined;
      const [[y, ...forwardStates], [backward, ...backwardStates]] = paired ?? [
        outputsOf(this.forwardLayer.apply(x, withStates(forwardInitial))),
        outputsOf(this.backwardLayer.apply(x, withStates(backwardInitial))),
      ];
      // The backward layer returns its steps in the order it read them: flip them back.
      const yRev = this.returnSequences ? reverseSteps(backward) : backward;
      const merged = this.merge(y, yRev);
      const states = [...forwardStates, ...backwardStates];
      const all = [...merged, ...states];
      const [only] = all;
      return all.length === 1 ? only : all;
    });
  }

  /** The merged output, or both outputs with mergeMode null. */
  private merge(y: tf.Tensor, yRev: tf.Tensor): tf.Tensor[] {
    switch (this.mergeMode) {
      case 'concat':
        return [tf.concat([y, yRev], -1)];
      case 'sum':
        return [tf.add(y, yRev)];
      case 'mul':
        return [tf.mul(y, yRev)];
      case 'ave':
        return [tf.div(tf.add(y, yRev), 2)];
      case null:
        return [y, yRev];
    }
  }

  /** Whether training updates the layer's weights (both directions'). */
  override get trainable(): boolean {
    return super.trainable;
  }

  /** Sets whether training updates the weights of both directions. */
  override set trainable(value: boolean) {
    super.trainable = value;
    this.forwardLayer.trainable = value;
    this.backwardLayer.trainable = value;
  }

  /** The forward layer's trainable weights, then the backward layer's (Keras's order). */
  override get trainableWeights(): tf.LayerVariable[] {
    if (!this.trainable) return [];
    return [...this.forwardLayer.trainableWeights, ...this.backwardLayer.trainableWeights];
  }

  /** Refused: the weights belong to the two layers. */
  override set trainableWeights(_weights: tf.LayerVariable[]) {
    throw new ValueError(
      `${describeLayer(this)}: its weights belong to its two layers and cannot be replaced.`,
    );
  }

  /** The weights that training does not update, forward layer first. */
  override get nonTrainableWeights(): tf.LayerVariable[] {
    const own = [
      ...this.forwardLayer.nonTrainableWeights,
      ...this.backwardLayer.nonTrainableWeights,
    ];
    if (this.trainable) return own;
    return [...this.forwardLayer.weights, ...this.backwardLayer.weights];
  }

  /** Why `shape` does not fit `weight`, when one of the two layers knows. */
  weightShapeHint(weight: tf.LayerVariable, shape: readonly number[]): string | undefined {
    return (
      this.forwardLayer.weightShapeHint(weight, shape) ??
      this.backwardLayer.weightShapeHint(weight, shape)
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      mergeMode: this.mergeMode,
      layer: { className: this.forwardLayer.getClassName(), config: this.forwardLayer.getConfig() },
      backwardLayer: {
        className: this.backwardLayer.getClassName(),
        config: this.backwardLayer.getConfig(),
      },
    };
  }

  /** Builds a Bidirectional from its `getConfig()` (the layers as their serialized configs). */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { customObjects: _customObjects, layer, backwardLayer, ...own } = config;
    return new cls({
      ...own,
      layer: layerFromConfig(layer),
      backwardLayer: backwardLayer == null ? undefined : layerFromConfig(backwardLayer),
    });
  }
}

/** The output shapes of `layer` for an input of `shape`: the output first, then the states. */
function outputShapes(layer: RNN, shape: tf.Shape): tf.Shape[] {
  const out = layer.computeOutputShape(shape);
  return Array.isArray(out[0]) ? (out as tf.Shape[]) : [out as tf.Shape];
}

/** The sum of two sizes, null when either is unknown. */
function sumOf(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null ? null : a + b;
}

/** A layer's output as a list: the output, then any states. */
function outputsOf(out: ReturnType<KerasLayer['apply']>): tf.Tensor[] {
  const list = Array.isArray(out) ? out : [out];
  return list.map((t) => {
    if (!(t instanceof tf.Tensor)) throw new Error('Bidirectional: expected concrete tensors.');
    return t;
  });
}

tf.serialization.registerClass(Bidirectional);
