/**
 * Keras's weight list -> a rebuilt model's variables, in Keras's `model.weights` order: layer
 * by layer in Keras 3; the trainable weights of every layer before the frozen ones in Keras 2.
 */
import * as tf from '@tensorflow/tfjs';
import { formatShape } from '../errors';
import { KerasJsonError } from './keras_json';
import type { KerasModel, KerasModelLayer } from './keras_model';

/** A weight's values as Keras lists them: variable path, shape, row-major data. */
export interface KerasWeightValues {
  /** Keras's variable path, when known (it names the weight in errors). */
  readonly name?: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its values, row-major. */
  readonly data: ArrayLike<number>;
}

/** One variable of the model in Keras's `model.weights` order, with the layer that owns it. */
export interface KerasWeightSlot {
  /** The variable the value goes into. */
  readonly variable: tf.LayerVariable;
  /** The layer that holds it. */
  readonly owner: KerasModelLayer;
}

/** The model's variables in Keras's `model.weights` order. */
export function kerasWeightOrder(model: KerasModel): KerasWeightSlot[] {
  const slots = (pick: (layer: tf.layers.Layer) => tf.LayerVariable[]): KerasWeightSlot[] =>
    model.layers.flatMap((owner) => pick(owner.layer).map((variable) => ({ variable, owner })));
  if (model.dialect.legacy) {
    // Keras 2's model.weights is trainable_weights + non_trainable_weights.
    return [...slots((l) => l.trainableWeights), ...slots((l) => l.nonTrainableWeights)];
  }
  // Keras 3's model.weights goes layer by layer.
  return slots((l) => l.weights);
}

function slotName(slot: KerasWeightSlot): string {
  return `${slot.owner.kerasClassName} '${slot.owner.name}' weight '${slot.variable.originalName}'`;
}

/**
 * Sets the model's weights from Keras's list (`model.weights` order and layouts). Every shape is
 * checked before any value is written; a mismatch names the weight.
 */
export function loadKerasWeights(model: KerasModel, weights: readonly KerasWeightValues[]): void {
  loadWeightsIntoSlots(kerasWeightOrder(model), weights);
}

/**
 * Sets `slots`' variables from Keras's list, in the same order. Every shape is checked before
 * any value is written; a mismatch names the weight.
 */
export function loadWeightsIntoSlots(
  slots: readonly KerasWeightSlot[],
  weights: readonly KerasWeightValues[],
): void {
  const label = (i: number): string => {
    const name = weights.at(i)?.name;
    return name === undefined ? `weight ${i}` : `weight ${i} '${name}'`;
  };
  if (slots.length !== weights.length) {
    const unfilled = slots.at(weights.length);
    const extra =
      weights.length > slots.length
        ? `; the first without a place is ${label(slots.length)}`
        : unfilled === undefined
          ? ''
          : `; the first without values is ${slotName(unfilled)}`;
    throw new KerasJsonError(
      `Keras weights: the model has ${slots.length} weights, ${weights.length} were given${extra}.`,
    );
  }
  const pairs = slots.map((slot, i) => ({ slot, w: weights[i] }));
  pairs.forEach(({ slot, w }, i) => {
    const expected = slot.variable.shape;
    const same = w.shape.length === expected.length && w.shape.every((d, k) => d === expected[k]);
    if (!same) {
      throw new KerasJsonError(
        `Keras weights: ${label(i)} has shape ${formatShape(w.shape)}, but ${slotName(slot)} has shape ${formatShape(expected)}.`,
      );
    }
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (w.data.length !== size) {
      throw new KerasJsonError(
        `Keras weights: ${label(i)} has ${w.data.length} values for shape ${formatShape(w.shape)} (${size} expected).`,
      );
    }
  });
  tf.tidy(() => {
    for (const { slot, w } of pairs) {
      slot.variable.write(tf.tensor(Array.from(w.data), [...w.shape], slot.variable.dtype));
    }
  });
}
