/**
 * How Keras's mask flows through a Sequential model: Embedding (`maskZero`) and Masking make
 * it; Dense and Dropout pass it on; a recurrent layer (or Bidirectional) consumes it and passes
 * it on only with `returnSequences`. The mask of the model's output weights the loss and the metrics.
 *
 * Porting note: Keras 3 warns and drops the mask when it reaches a layer that does not support
 * masking; here that is an error naming both layers, since the steps after it would silently
 * count the padding.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { Embedding } from '../layers/embedding';
import { Masking } from '../layers/masking';
import { firstMask } from '../layers/masks';
import { Bidirectional } from '../layers/rnn/bidirectional';
import { RNN } from '../layers/rnn/rnn';
import { describeLayer } from '../layers/naming';

/** Whether `layer` makes a mask of its own (whatever reaches it). */
function makesMask(layer: tf.layers.Layer): boolean {
  return layer instanceof Masking || (layer instanceof Embedding && layer.maskZero);
}

/** The layer whose mask reaches the output of `layers`, or undefined when no mask does. */
export function maskSource(layers: readonly tf.layers.Layer[]): tf.layers.Layer | undefined {
  let source: tf.layers.Layer | undefined;
  for (const layer of layers) {
    if (makesMask(layer)) source = layer;
    else if ((layer instanceof RNN || layer instanceof Bidirectional) && !layer.returnSequences)
      source = undefined;
  }
  return source;
}

/** Refuses a mask made by `source` reaching `layer`, which cannot take one. */
export function checkTakesMask(layer: tf.layers.Layer, source: tf.layers.Layer | undefined): void {
  if (source === undefined || layer.supportsMasking) return;
  const made =
    source instanceof Embedding
      ? 'marks index 0 as padding (maskZero: true)'
      : 'marks padding steps';
  throw new ValueError(
    `${describeLayer(layer)} cannot take a mask, but ${describeLayer(source)} before it ${made} and every layer until a recurrent layer without returnSequences must follow that mask. Put '${layer.name}' after a recurrent layer that returns its last step, or remove the mask from ${describeLayer(source)}.`,
  );
}

/**
 * The mask of `layer`'s output from its input `x` and the input's mask (null: none), as the
 * layer computes it (see computeMask); after a check that the layer takes it.
 */
export function outputMask(
  layer: tf.layers.Layer,
  x: tf.Tensor,
  mask: tf.Tensor | null,
  source: tf.layers.Layer | undefined,
): tf.Tensor | null {
  if (mask !== null) checkTakesMask(layer, source);
  if (!layer.supportsMasking) return null;
  return firstMask(layer.computeMask(x, mask ?? undefined));
}
