/**
 * Running a stack of layers on concrete tensors, in training or inference mode, and the logits
 * of a final sigmoid/softmax Dense that Keras's crossentropies use.
 */
import * as tf from '@tensorflow/tfjs';
import { Dense } from '../layers/dense';
import { recurrentRun, runRecurrentStack } from '../layers/rnn/rnn_stack';
import type { ForwardResult } from './training';

/** `SimpleRNN 'simple_rnn'`, for messages. */
export function describeLayer(layer: tf.layers.Layer): string {
  return `${layer.getClassName()} '${layer.name}'`;
}

/**
 * Runs `layers` in order on `x`. `training` reaches every layer's `call` (Dropout, recurrent
 * dropout). Consecutive recurrent layers run as one kernel stack (see rnn_stack.ts): the same
 * values, without the sequences between them as tensors. With `withLogits`, a final Dense with
 * a sigmoid or softmax activation also gives its logits: Keras's TensorFlow backend computes
 * the crossentropies from those (see losses.ts), so the losses here can too.
 */
export function runLayers(
  layers: readonly tf.layers.Layer[],
  x: tf.Tensor,
  training: boolean,
  withLogits: boolean,
): ForwardResult {
  let h = x;
  let beforeLast = x;
  for (let i = 0; i < layers.length;) {
    beforeLast = h;
    const run = recurrentRun(layers, i);
    if (run.length > 1) {
      h = runRecurrentStack(run, h, training);
      i += run.length;
      continue;
    }
    const layer = layers[i];
    const out = layer.apply(h, { training });
    if (!(out instanceof tf.Tensor)) {
      throw new Error(`${describeLayer(layer)}: expected one output tensor.`);
    }
    h = out;
    i++;
  }
  const last = layers.at(-1);
  if (
    withLogits &&
    last instanceof Dense &&
    (last.activation === 'softmax' || last.activation === 'sigmoid')
  ) {
    return { output: h, logits: last.logits(beforeLast) };
  }
  return { output: h };
}

/** The tfjs variable behind a layer weight (registered under the weight's unique name). */
export function registeredVariable(weight: tf.LayerVariable): tf.Variable {
  const registry: Partial<Record<string, tf.Variable>> = tf.engine().registeredVariables;
  const variable = registry[weight.name];
  if (variable === undefined) {
    throw new Error(`weight '${weight.name}' has no variable; was it disposed?`);
  }
  return variable;
}
