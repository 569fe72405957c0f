/**
 * The checks of a gated kernel stack's inputs before any work: x's shape, every layer's weights,
 * masks, initial states and options, with errors that name the layer and the tensor.
 */
import type * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../../errors';
import type { GatedStackLayer } from '../cells/gated_stack';
import { checkShape } from './buffers';
import { GATES } from './gated_plan';
import { checkStackPlace } from './stack_moves';

/** Checks x and every layer's weights and options; returns each layer's units. */
export function checkGatedStack(
  subjectOfStack: string,
  x: tf.Tensor3D,
  layers: readonly GatedStackLayer[],
): number[] {
  const rank = (x.shape as readonly number[]).length;
  if (rank !== 3 || x.shape.some((n) => n < 1)) {
    throw new ValueError(
      `${subjectOfStack}: expected x of shape [samples, timesteps, features], each at least 1, received ${formatShape(x.shape)}.`,
    );
  }
  if (layers.length === 0) throw new ValueError(`${subjectOfStack}: expected at least one layer.`);
  const [batch, steps] = x.shape;
  let features = x.shape[2];
  return layers.map(({ kind, weights, options, outputMask, gateMasks, initialStates }, i) => {
    const subject = layers.length === 1 ? kind : `${subjectOfStack} (layer ${i}, ${kind})`;
    const gates = GATES[kind];
    const units = (weights.recurrentKernel.shape as readonly number[])[0] ?? 0;
    checkShape(subject, 'kernel', weights.kernel, [features, gates * units]);
    checkShape(subject, 'recurrentKernel', weights.recurrentKernel, [units, gates * units]);
    if (weights.bias !== null) {
      const gruAfter = kind === 'GRU' && options.resetAfter;
      checkShape(subject, 'bias', weights.bias, gruAfter ? [2, gates * units] : [gates * units]);
    }
    const masks: [string, readonly tf.Tensor[] | undefined, number][] = [
      ['recurrent', gateMasks?.recurrent, units],
      ['input', gateMasks?.input, features],
    ];
    for (const [which, list, width] of masks) {
      if (list === undefined) continue;
      if (list.length !== gates) {
        throw new ValueError(
          `${subject}: expected one ${which} dropout mask per gate (${gates}), received ${list.length}.`,
        );
      }
      for (const mask of list) checkShape(subject, `a ${which} dropout mask`, mask, [batch, width]);
    }
    if (options.stepMask !== undefined) {
      checkShape(subject, 'stepMask', options.stepMask, [batch, steps]);
    }
    if (initialStates !== undefined) {
      const names = kind === 'LSTM' ? ['h', 'c'] : ['h'];
      if (initialStates.length !== names.length) {
        throw new ValueError(
          `${subject}: expected ${names.length} initial state${names.length === 1 ? '' : 's'} (${names.join(', ')}), received ${initialStates.length}.`,
        );
      }
      initialStates.forEach((state, k) => {
        checkShape(subject, `initial state ${names[k]}`, state, [batch, units]);
      });
    }
    checkStackPlace(subject, [i, layers.length], options.returnSequences, outputMask, [
      batch,
      steps,
      units,
    ]);
    features = units;
    return units;
  });
}
