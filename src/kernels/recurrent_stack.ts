/**
 * Consecutive recurrent layers of any kinds as kernel stacks: SimpleRNN layers alone run as one
 * SimpleRNN stack (`simpleRnnStack`: its own op, with the Dense head inside it and the training
 * step in the kernels' memory), LSTM and GRU layers as one gated stack (`gatedStack`), and a
 * mix of kinds as one gated stack too, its SimpleRNN layers among the gated ones (those the
 * kernels take: tanh, sigmoid, relu or linear, no initial state; else each family runs as a stack
 * of its own, the sequence between them a tensor). The values and gradients are those of the
 * layers one by one.
 */
import type * as tf from '@tensorflow/tfjs';
import { type GatedStackLayer, gatedStack } from './cells/gated_stack';
import { isFusedActivation } from './fused_steps';
import {
  type SimpleRnnStackHead,
  type SimpleRnnStackLayer,
  headProduct,
  simpleRnnStack,
} from './simple_rnn';

/** One layer of a kernel stack: a SimpleRNN layer, or a gated one (with its `kind`). */
export type RecurrentStackLayer = SimpleRnnStackLayer | GatedStackLayer;

export function isGatedStackLayer(layer: RecurrentStackLayer): layer is GatedStackLayer {
  return 'kind' in layer;
}

export function isSimpleRnnLayer(layer: RecurrentStackLayer): layer is SimpleRnnStackLayer {
  return !isGatedStackLayer(layer);
}

/** A SimpleRNN layer as a layer of a gated stack, when the gated kernels can run it. */
function asGatedLayer(layer: RecurrentStackLayer): GatedStackLayer | undefined {
  if (isGatedStackLayer(layer)) return layer;
  const { weights, options, outputMask } = layer;
  const { activation, recurrentMask, inputMask } = options;
  if (!isFusedActivation(activation) || options.initialState !== undefined) return undefined;
  const masked = recurrentMask !== undefined || inputMask !== undefined;
  return {
    kind: 'SimpleRNN',
    weights,
    options: {
      activation,
      recurrentActivation: 'linear',
      resetAfter: false,
      goBackwards: options.goBackwards,
      returnSequences: options.returnSequences,
      stepMask: options.stepMask,
    },
    ...(masked
      ? {
          gateMasks: {
            recurrent: recurrentMask === undefined ? undefined : [recurrentMask],
            input: inputMask === undefined ? undefined : [inputMask],
          },
        }
      : {}),
    outputMask,
  };
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
  const withHead = (out: tf.Tensor): tf.Tensor => headProduct(out, head);
  const mixed = layers.some(isGatedStackLayer) && layers.some(isSimpleRnnLayer);
  const asGated = mixed ? layers.map(asGatedLayer) : [];
  if (mixed && asGated.every((l) => l !== undefined)) return withHead(gatedStack(x, asGated));
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
  return withHead(h);
}
