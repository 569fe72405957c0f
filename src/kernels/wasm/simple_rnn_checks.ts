/**
 * The checks of a SimpleRNN kernel stack's inputs before any work (see simple_rnn_sequence.ts):
 * x's shape, every layer's weights, masks, initial state and place in the stack, with errors
 * that name the layer and the tensor.
 */
import type * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../../errors';
import { checkShape } from './buffers';
import { checkStackPlace } from './stack_moves';
import type { SimpleRnnStackLayer, Subject } from './stack_plan';

/** Checks x and every layer's weights, masks and options; returns each layer's units. */
export function checkSimpleRnnStack(
  subjectOfStack: Subject,
  x: tf.Tensor3D,
  layers: readonly SimpleRnnStackLayer[],
): number[] {
  const rank = (x.shape as readonly number[]).length;
  if (rank !== 3 || x.shape.some((n) => n < 1)) {
    throw new ValueError(
      `${subjectOfStack}: expected x of shape [samples, timesteps, features], each at least 1, received ${formatShape(x.shape)}.`,
    );
  }
  if (layers.length === 0) {
    throw new ValueError(`${subjectOfStack}: expected at least one layer.`);
  }
  const [batch, steps, inputFeatures] = x.shape;
  let features = inputFeatures;
  return layers.map(({ weights, options }, i) => {
    const subject = layers.length === 1 ? subjectOfStack : `${subjectOfStack} (layer ${i})`;
    const units = (weights.kernel.shape as readonly number[])[1] ?? 0;
    checkShape(subject, 'kernel', weights.kernel, [features, units]);
    checkShape(subject, 'recurrentKernel', weights.recurrentKernel, [units, units]);
    if (weights.bias !== null) checkShape(subject, 'bias', weights.bias, [units]);
    if (options.initialState !== undefined) {
      checkShape(subject, 'initialState', options.initialState, [batch, units]);
    }
    if (options.inputMask !== undefined) {
      if (i > 0) {
        throw new ValueError(
          `${subject}: only the first layer of a stack takes an input mask (it reads the layer before's states in place).`,
        );
      }
      checkShape(subject, 'inputMask', options.inputMask, [batch, features]);
    }
    if (options.recurrentMask !== undefined) {
      checkShape(subject, 'recurrentMask', options.recurrentMask, [batch, units]);
    }
    if (options.stepMask !== undefined) {
      checkShape(subject, 'stepMask', options.stepMask, [batch, steps]);
    }
    checkStackPlace(subject, [i, layers.length], options.returnSequences, layers[i].outputMask, [
      batch,
      steps,
      units,
    ]);
    features = units;
    return units;
  });
}
