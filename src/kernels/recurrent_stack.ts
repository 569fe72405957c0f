/**
 * Consecutive recurrent layers of any kinds as kernel stacks: each run of SimpleRNN layers is
 * one SimpleRNN stack (`simpleRnnStack`), each run of LSTM and GRU layers one gated stack
 * (`gatedStack`); between two runs the sequence becomes a tensor. The values and gradients are
 * those of the layers one by one.
 */
import type * as tf from '@tensorflow/tfjs';
import { type GatedStackLayer, gatedStack } from './cells/gated_stack';
import { denseProduct } from './dense';
import { type SimpleRnnStackHead, type SimpleRnnStackLayer, simpleRnnStack } from './simple_rnn';

/** One layer of a kernel stack: a SimpleRNN layer, or a gated one (with its `kind`). */
export type RecurrentStackLayer = SimpleRnnStackLayer | GatedStackLayer;

export function isGatedStackLayer(layer: RecurrentStackLayer): layer is GatedStackLayer {
  return 'kind' in layer;
}

export function isSimpleRnnLayer(layer: RecurrentStackLayer): layer is SimpleRnnStackLayer {
  return !isGatedStackLayer(layer);
}

/**
 * Runs `layers` one after another over every step of `x` [batch, timesteps, features] (every
 * layer but the last returning sequences), each times its `outputMask` when it has one; the
 * output of the last. With `head`, a Dense layer's x · kernel + bias of it instead (the last
 * layer must not return sequences), in the SimpleRNN stack's own op when the last run is one.
 */
export function recurrentStack(
  x: tf.Tensor3D,
  layers: readonly RecurrentStackLayer[],
  head?: SimpleRnnStackHead,
): tf.Tensor {
  let h: tf.Tensor = x;
  let start = 0;
  for (let i = 1; i <= layers.length; i++) {
    const gated = isGatedStackLayer(layers[start]);
    if (i < layers.length && isGatedStackLayer(layers[i]) === gated) continue;
    const run = layers.slice(start, i);
    const last = i === layers.length;
    if (gated) {
      h = gatedStack(h as tf.Tensor3D, run.filter(isGatedStackLayer));
    } else {
      const simple = run.filter(isSimpleRnnLayer);
      // The SimpleRNN stack computes the head in its own op where it can.
      if (last && head !== undefined) return simpleRnnStack(h as tf.Tensor3D, simple, head);
      h = simpleRnnStack(h as tf.Tensor3D, simple);
    }
    start = i;
  }
  return head === undefined
    ? h
    : denseProduct(h as tf.Tensor2D, head.kernel as tf.Tensor2D, head.bias as tf.Tensor1D | null);
}
