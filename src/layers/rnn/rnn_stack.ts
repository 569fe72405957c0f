/**
 * Consecutive recurrent layers of a model run as kernel stacks: the stock model's
 * SimpleRNN(80, returnSequences) -> SimpleRNN(100) (or its LSTM or GRU layers) is one op
 * forward and one backward, and the sequence between the two layers never becomes a tensor
 * (see recurrentStack, which runs any mix of kinds). A Dropout between two of them joins the
 * stack as a mask of the sequence. The values and gradients are those of the layers run one by
 * one.
 */
import * as tf from '@tensorflow/tfjs';
import { type RecurrentStackLayer, recurrentStack } from '../../kernels/recurrent_stack';
import type { SimpleRnnStackHead } from '../../kernels/simple_rnn';
import { Dropout } from '../dropout';
import { RNN } from './rnn';
import { checkSequenceShape } from './sequence_shape';

/** A layer of a run: a recurrent layer, or a Dropout between two. */
export type RecurrentRunLayer = RNN | Dropout;

/** A built recurrent layer that can run in a kernel stack. */
function stackableLayer(layer: tf.layers.Layer | undefined): layer is RNN {
  return layer instanceof RNN && layer.built && layer.stackable;
}

/**
 * The layers from `start` on that run as one stack: stackable recurrent layers, each but the
 * last returning sequences, with at most one Dropout between two of them. Empty when
 * layers[start] is not such a layer.
 */
export function recurrentRun(
  layers: readonly tf.layers.Layer[],
  start: number,
): RecurrentRunLayer[] {
  const first = layers[start];
  if (!stackableLayer(first)) return [];
  const run: RecurrentRunLayer[] = [first];
  let last = first;
  let next = start + 1;
  while (last.returnSequences) {
    const between = layers[next];
    const dropout = between instanceof Dropout ? between : undefined;
    const after = layers[dropout === undefined ? next : next + 1];
    if (!stackableLayer(after)) break;
    if (dropout !== undefined) run.push(dropout);
    run.push(after);
    last = after;
    next += dropout === undefined ? 1 : 2;
  }
  return run;
}

/**
 * Runs `layers` (a run that `recurrentRun` found) on x [samples, timesteps, features] as one
 * kernel stack; the output of the last. `training` makes the layers' dropout masks, the
 * Dropout layers' included. With `head` (a Dense layer's weights; the last layer returns its
 * last state), the output is that Dense layer's x · kernel + bias, before its activation.
 * With a `stepMask` (Keras's mask of x as the kernels take it, see SequenceRunOptions), every
 * layer skips the padding steps: each gets the mask as Keras passes it on, unchanged.
 */
export function runRecurrentStack(
  layers: readonly RecurrentRunLayer[],
  x: tf.Tensor,
  training: boolean,
  head?: SimpleRnnStackHead,
  stepMask?: tf.Tensor2D,
): tf.Tensor {
  const recurrent = layers.filter((layer): layer is RNN => layer instanceof RNN);
  if (recurrent.length === 0) throw new Error('runRecurrentStack: no recurrent layers.');
  const first = recurrent[0];
  checkSequenceShape(first.subject, x.shape, first.cells.at(0)?.inputFeatures);
  const [batch, steps, features] = x.shape as [number, number, number];
  // Every layer's input checked before any work (a Dropout's mask would advance its generator).
  let width = features;
  for (const layer of recurrent) {
    checkSequenceShape(layer.subject, [batch, steps, width], layer.cells.at(0)?.inputFeatures);
    width = layer.cells.at(-1)?.units ?? width;
  }
  const lastLayer = recurrent[recurrent.length - 1];
  return tf.tidy(() => {
    let inputWidth = features;
    const stack: RecurrentStackLayer[] = [];
    for (const layer of layers) {
      if (layer instanceof Dropout) {
        // Between two recurrent layers: a mask of the sequence the one before returns.
        const before = stack.at(-1);
        const shape = [batch, steps, inputWidth];
        const mask = training ? layer.trainingMask(shape) : undefined;
        // A mask of a noise shape covers the whole sequence, as a training call broadcasts it;
        // after a layer with zeroOutputForMask, both factors apply.
        if (before !== undefined && mask !== undefined) {
          const dropped = tf.broadcastTo(mask, shape);
          before.outputMask =
            before.outputMask === undefined ? dropped : tf.mul(before.outputMask, dropped);
        }
        continue;
      }
      const returnSequences = layer !== lastLayer || layer.returnSequences;
      stack.push(...layer.stackLayers(batch, inputWidth, training, returnSequences, stepMask));
      inputWidth = layer.cells.at(-1)?.units ?? inputWidth;
    }
    // The head would read the last output before its mask: the caller runs it on its own.
    if (head !== undefined && stepMask !== undefined && lastLayer.zeroOutputForMask) {
      throw new Error(
        `runRecurrentStack: ${lastLayer.subject} has zeroOutputForMask; its Dense head must run as a layer of its own.`,
      );
    }
    return lastLayer.maskedLastOutput(recurrentStack(x as tf.Tensor3D, stack, head), stepMask);
  });
}
