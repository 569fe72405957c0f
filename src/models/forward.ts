/**
 * Running a stack of layers on concrete tensors, in training or inference mode, and the logits
 * of a final sigmoid/softmax Dense that Keras's crossentropies use.
 */
import * as tf from '@tensorflow/tfjs';
import { Dense } from '../layers/dense';
import type { SimpleRnnStackHead } from '../kernels/simple_rnn';
import { RNN } from '../layers/rnn/rnn';
import { type RecurrentRunLayer, recurrentRun, runRecurrentStack } from '../layers/rnn/rnn_stack';
import { stepMaskOf } from '../layers/masks';
import { describeLayer } from '../layers/naming';
import { outputMask } from './mask_flow';
import type { ForwardResult } from './training';

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
  // Keras's mask of h (see mask_flow.ts), and the layer that made it.
  let mask: tf.Tensor | null = null;
  let maskSource: tf.layers.Layer | undefined;
  for (let i = 0; i < layers.length;) {
    beforeLast = h;
    const run = recurrentRun(layers, i);
    const head = run.length > 0 ? denseHead(run, layers[i + run.length], mask) : undefined;
    if (head !== undefined || run.length > 1) {
      const stepMask = mask === null ? undefined : stepMaskOf(mask);
      // With a head, the Dense layer's product runs inside the stack's op: its input never
      // becomes a tensor.
      const z = runRecurrentStack(run, h, training, head?.weights, stepMask);
      i += run.length;
      const last = run[run.length - 1];
      if (last instanceof RNN && !last.returnSequences) mask = null;
      if (head === undefined) {
        h = z;
        continue;
      }
      h = head.dense.activate(z);
      i++;
      if (i === layers.length) lastLogits = z;
      continue;
    }
    ({
      output: h,
      mask,
      maskSource,
    } = applyLayer(layers[i], { output: h, mask, maskSource }, training));
    i++;
  }
  const last = layers.at(-1);
  if (
    withLogits &&
    last instanceof Dense &&
    (last.activation === 'softmax' || last.activation === 'sigmoid')
  ) {
    return { output: h, logits: lastLogits ?? last.logits(beforeLast), ...withMask(mask) };
  }
  return { output: h, ...withMask(mask) };
}

/** What flows from one layer to the next: the output, Keras's mask of it, and its maker. */
export interface LayerFlow {
  output: tf.Tensor;
  mask: tf.Tensor | null;
  /** The layer that made the mask (named by a layer that cannot take it). */
  maskSource: tf.layers.Layer | undefined;
}

/** Runs one layer on what the layers before it give, passing Keras's mask on (see mask_flow.ts). */
export function applyLayer(
  layer: tf.layers.Layer,
  { output: h, mask, maskSource }: LayerFlow,
  training: boolean,
): LayerFlow {
  const nextMask = outputMask(layer, h, mask, maskSource);
  const out = layer.apply(h, mask === null ? { training } : { training, mask });
  if (!(out instanceof tf.Tensor)) {
    throw new Error(`${describeLayer(layer)}: expected one output tensor.`);
  }
  const source = nextMask !== null && nextMask !== mask ? layer : maskSource;
  return { output: out, mask: nextMask, maskSource: source };
}

/** The result's `mask` field: present only when the output has a mask. */
function withMask(mask: tf.Tensor | null): { mask?: tf.Tensor } {
  return mask === null ? {} : { mask };
}

/**
 * The Dense layer `next` and its weights when it can run as the head of the recurrent run
 * before it: built, reading the last layer's last state (not a sequence) with as many
 * features as that layer has units. Otherwise undefined: it runs as a layer of its own.
 */
function denseHead(
  run: readonly RecurrentRunLayer[],
  next: tf.layers.Layer | undefined,
  mask: tf.Tensor | null,
): { dense: Dense; weights: SimpleRnnStackHead } | undefined {
  const last = run.at(-1);
  if (!(next instanceof Dense) || !(last instanceof RNN) || last.returnSequences) return undefined;
  // The head would read the last output before zeroOutputForMask zeroes it.
  if (mask !== null && last.zeroOutputForMask) return undefined;
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
