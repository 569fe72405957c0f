/**
 * Running a stack of layers on concrete tensors, in training or inference mode, and the logits
 * of a final sigmoid/softmax Dense that Keras's crossentropies use.
 */
import * as tf from '@tensorflow/tfjs';
import { Dense } from '../layers/dense';
import type { SimpleRnnStackHead } from '../kernels/simple_rnn';
import { RNN } from '../layers/rnn/rnn';
import { type RecurrentRunLayer, recurrentRun, runRecurrentStack } from '../layers/rnn/rnn_stack';
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
  // The last layer's logits when a stack's Dense head computed them.
  let lastLogits: tf.Tensor | undefined;
  for (let i = 0; i < layers.length;) {
    beforeLast = h;
    const run = recurrentRun(layers, i);
    const head = run.length > 0 ? denseHead(run, layers[i + run.length]) : undefined;
    if (head !== undefined) {
      // The Dense layer's product runs inside the stack's op: its input never becomes a tensor.
      const z = runRecurrentStack(run, h, training, head.weights);
      h = head.dense.activate(z);
      i += run.length + 1;
      if (i === layers.length) lastLogits = z;
      continue;
    }
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
    return { output: h, logits: lastLogits ?? last.logits(beforeLast) };
  }
  return { output: h };
}

/**
 * The Dense layer `next` and its weights when it can run as the head of the recurrent run
 * before it: built, reading the last layer's last state (not a sequence) with as many
 * features as that layer has units. Otherwise undefined: it runs as a layer of its own.
 */
function denseHead(
  run: readonly RecurrentRunLayer[],
  next: tf.layers.Layer | undefined,
): { dense: Dense; weights: SimpleRnnStackHead } | undefined {
  const last = run.at(-1);
  if (!(next instanceof Dense) || !(last instanceof RNN) || last.returnSequences) return undefined;
  const weights = next.productWeights();
  const units = last.cells.at(-1)?.units;
  if (weights === null || weights.kernel.shape[0] !== units) return undefined;
  return { dense: next, weights };
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
