/**
 * A Bidirectional layer's two directions in the kernels, as one op: both outputs as the layers'
 * own calls make them (see independentStacks), or with `returnSequences` and the concat merge
 * the merged sequence itself, both directions' steps written side by side by the kernels (see
 * mergedStacks). Each is undefined when the kernels cannot take the pair; the layer then runs
 * its directions one after the other.
 */
import type * as tf from '@tensorflow/tfjs';
import { useWasmKernel } from '../../kernels/kernel_choice';
import {
  type RecurrentStackLayer,
  independentStacks,
  mergedStacks,
} from '../../kernels/recurrent_stack';
import { stepMaskOf } from '../masks';
import type { RNN } from './rnn';
import { checkSequenceShape } from './sequence_shape';

/** The forward layer and the backward layer. */
export type Directions = readonly [RNN, RNN];

/** Both directions as kernel stacks over x. */
interface KernelRuns {
  runs: RecurrentStackLayer[][];
  stepMask: tf.Tensor2D | undefined;
}

/**
 * Both layers as kernel stacks over x (see RNN.stackLayers; a last returned sequence zeroed at
 * masked steps by a factor of its own with `zeroOutputAsFactor`), when the kernels load and
 * both layers can run as kernel stacks (no states returned); else undefined.
 */
function kernelRuns(
  layers: Directions,
  x: tf.Tensor,
  mask: tf.Tensor | undefined,
  training: boolean,
  zeroOutputAsFactor: boolean,
): KernelRuns | undefined {
  if (!useWasmKernel() || !layers.every((layer) => layer.stackable)) return undefined;
  checkSequenceShape(layers[0].subject, x.shape, layers[0].cells.at(0)?.inputFeatures);
  const [batch, , features] = x.shape as [number, number, number];
  const stepMask = mask === undefined ? undefined : stepMaskOf(mask);
  const runs = layers.map((layer) =>
    layer.stackLayers(
      batch,
      features,
      training,
      layer.returnSequences,
      stepMask,
      zeroOutputAsFactor,
    ),
  );
  return { runs, stepMask };
}

/**
 * Both layers' outputs as their own calls make them, as one kernel op that runs both
 * directions at once (see independentStacks); undefined when the kernels cannot take them.
 */
export function bothAtOnce(
  layers: Directions,
  x: tf.Tensor,
  mask: tf.Tensor | undefined,
  training: boolean,
): tf.Tensor[][] | undefined {
  const kernel = kernelRuns(layers, x, mask, training, true);
  if (kernel === undefined) return undefined;
  const outputs = independentStacks(x as tf.Tensor3D, kernel.runs);
  return layers.map((layer, k) => [layer.maskedLastOutput(outputs[k], kernel.stepMask)]);
}

/**
 * The concat-merged sequence of two layers returning sequences, as one kernel op that writes
 * both directions' steps side by side (the backward one's reversed back, zeros at masked steps:
 * see mergedStacks); undefined when the kernels cannot take them.
 */
export function concatAtOnce(
  layers: Directions,
  x: tf.Tensor,
  mask: tf.Tensor | undefined,
  training: boolean,
): tf.Tensor | undefined {
  // The backward layer's steps come reversed, and a step's zero output follows its input
  // step: one order for both only when the forward layer reads forwards (the usual pair).
  if (layers[0].goBackwards || !layers[1].goBackwards) return undefined;
  const kernel = kernelRuns(layers, x, mask, training, false);
  if (kernel === undefined) return undefined;
  const widths = layers.map((layer) => layer.cells.at(-1)?.units ?? 0);
  const places = layers.map((layer, k) => ({
    width: widths[0] + widths[1],
    column: k === 0 ? 0 : widths[0],
    reverse: k === 1,
    zeroMasked: kernel.stepMask !== undefined && layer.zeroOutputForMask,
  }));
  return mergedStacks(x as tf.Tensor3D, kernel.runs, places);
}
