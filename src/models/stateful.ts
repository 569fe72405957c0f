/**
 * A model with stateful recurrent layers (Keras's `stateful=True`): every batch must hold the
 * number of samples their states hold, so `fit`, `evaluate` and `predict` run in batches of
 * exactly that size, checked before any work; `resetStates` resets every such layer.
 */
import type * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { describeLayer } from '../layers/naming';
import { Bidirectional } from '../layers/rnn/bidirectional';
import { RNN } from '../layers/rnn/rnn';
import { checkBatchSize } from './data';

/** The stateful recurrent layers among `layers` (a Bidirectional counts as one). */
export function statefulLayers(layers: readonly tf.layers.Layer[]): (RNN | Bidirectional)[] {
  return layers.filter(
    (layer): layer is RNN | Bidirectional =>
      (layer instanceof RNN || layer instanceof Bidirectional) && layer.stateful,
  );
}

/**
 * The batch size of `fit`, `evaluate` or `predict`: the one given, else 32, as Keras's; for a
 * model with stateful layers, their fixed batch size, and a different one given is refused.
 */
export function modelBatchSize(
  subject: string,
  layers: readonly tf.layers.Layer[],
  fixedBatch: number | null,
  given: number | undefined,
): number {
  const stateful = statefulLayers(layers).at(0);
  if (stateful === undefined || fixedBatch === null) return checkBatchSize(subject, given ?? 32);
  // Porting note: Keras defaults to 32 here too, and then fails on the states' shape.
  if (given !== undefined && given !== fixedBatch) {
    throw new ValueError(
      `${subject}: ${describeLayer(stateful)} is stateful and holds states for batches of ${fixedBatch} samples (the model's batch size); received batchSize: ${given}. Pass batchSize: ${fixedBatch}, or leave it out.`,
    );
  }
  return fixedBatch;
}

/**
 * Refuses data whose sample count is not a multiple of a stateful model's batch size: its last
 * batch would be smaller, which the states cannot take.
 *
 * Porting note: Keras fails on such a batch with a shape error, or, for one sample against a
 * batch of 2, silently broadcasts it against every state row; here it is refused before any step.
 */
export function checkStatefulSamples(
  subject: string,
  layers: readonly tf.layers.Layer[],
  what: string,
  samples: number,
  batchSize: number,
): void {
  const stateful = statefulLayers(layers).at(0);
  if (stateful === undefined || samples % batchSize === 0) return;
  throw new ValueError(
    `${subject}: ${what} has ${samples} samples, which do not divide into batches of ${batchSize}: the last batch would hold ${samples % batchSize}, and ${describeLayer(stateful)} is stateful with states for ${batchSize} samples. Give a multiple of ${batchSize} samples.`,
  );
}
