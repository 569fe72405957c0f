/**
 * What the step-mask tests share (step_mask.test.ts, step_mask_simple_rnn.test.ts): step masks
 * of several shapes, stacks of layers of every kind with one, and the same layers one by one
 * through the reference kernels (tfjs ops step by step, tf.where per step, tfjs's automatic
 * differentiation).
 */
import * as tf from '@tensorflow/tfjs';
import { gruSequence } from '../../../src/kernels/cells/gru';
import { lstmSequence } from '../../../src/kernels/cells/lstm';
import type { RecurrentStackLayer } from '../../../src/kernels/recurrent_stack';
import { simpleRnnSequenceReference } from '../../../src/kernels/simple_rnn_reference';
import { dropoutMask, pseudoRandomTensor as tensor } from '../../helpers/random_tensors';

export type Kind = 'LSTM' | 'GRU' | 'GRU-before' | 'SimpleRNN';
const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, 'GRU-before': 3, SimpleRNN: 1 };

/** Where a mask's zeros are (see stepMaskOf). */
export type MaskShape = 'right-padded' | 'left-padded' | 'random' | 'a sample fully masked';

export interface LayerCase {
  kind: Kind;
  units: number;
  goBackwards?: boolean;
  /** Implementation 1: dropout masks per gate of h and of x (a SimpleRNN's one of each). */
  implementation1?: boolean;
  /** A Dropout mask of the output sequence (not on the last layer). */
  dropout?: boolean;
  /** This layer's step mask: the stack's (default), one of its own, or none. */
  stepMask?: 'own' | 'none';
}

/** [batch, steps, features] */
export type Shape = [number, number, number];

export interface Case {
  layers: LayerCase[];
  mask: MaskShape;
  /** Whether the last layer returns every step. */
  returnSequences: boolean;
  shape?: Shape;
  threads?: number;
}

/** A [batch, steps] mask of ones and zeros, its zeros where `shape` says. */
export function stepMaskOf(shape: MaskShape, [batch, steps]: Shape, seed: number): tf.Tensor2D {
  const values = tensor([batch, steps], seed).arraySync() as number[][];
  const rows = values.map((row, b) =>
    row.map((v, t) => {
      // Lengths 1..steps, different from sample to sample.
      const length = 1 + ((b * 7 + seed) % steps);
      if (shape === 'right-padded') return t < length ? 1 : 0;
      if (shape === 'left-padded') return t >= steps - length ? 1 : 0;
      if (shape === 'a sample fully masked' && b === 1) return 0;
      return v < 0.2 ? 1 : 0;
    }),
  );
  return tf.tensor2d(rows);
}

/** The layers of a case (weights from `seed`), with what to dispose. */
export function makeStack(
  c: Case,
  shape: Shape,
  seed: number,
): { stack: RecurrentStackLayer[]; weights: tf.Tensor[]; constants: tf.Tensor[] } {
  const [batch, steps] = shape;
  let width = shape[2];
  const weights: tf.Tensor[] = [];
  const shared = stepMaskOf(c.mask, shape, seed);
  const constants: tf.Tensor[] = [shared];
  const stack = c.layers.map((l, i): RecurrentStackLayer => {
    const n = GATES[l.kind] * l.units;
    const kernel = tensor([width, n], seed + 10 * i, 0.6) as tf.Tensor2D;
    const recurrentKernel = tensor([l.units, n], seed + 10 * i + 1, 0.6) as tf.Tensor2D;
    const bias = tensor(l.kind === 'GRU' ? [2, n] : [n], seed + 10 * i + 2, 0.5);
    weights.push(kernel, recurrentKernel, bias);
    const own = l.stepMask === 'own' ? stepMaskOf('random', shape, seed + 50 + i) : undefined;
    const stepMask = l.stepMask === 'none' ? undefined : (own ?? shared);
    const gates = l.kind === 'SimpleRNN' ? 1 : GATES[l.kind];
    const gateMasks =
      l.implementation1 === true
        ? {
            recurrent: Array.from({ length: gates }, (_, k) =>
              dropoutMask([batch, l.units], 0.6, seed + 100 + 10 * i + k),
            ),
            input: Array.from({ length: gates }, (_, k) =>
              dropoutMask([batch, width], 0.7, seed + 200 + 10 * i + k),
            ),
          }
        : undefined;
    const outputMask =
      l.dropout === true
        ? tf.tidy(() =>
            tf.broadcastTo(tf.expandDims(dropoutMask([batch, l.units], 0.7, seed + i), 1), [
              batch,
              steps,
              l.units,
            ]),
          )
        : undefined;
    constants.push(
      ...[own, outputMask].filter((t) => t !== undefined),
      ...(gateMasks?.recurrent ?? []),
      ...(gateMasks?.input ?? []),
    );
    width = l.units;
    const goBackwards = l.goBackwards ?? false;
    const returnSequences = i < c.layers.length - 1 || c.returnSequences;
    if (l.kind === 'SimpleRNN') {
      return {
        weights: { kernel, recurrentKernel, bias: bias as tf.Tensor1D },
        options: {
          activation: 'tanh',
          goBackwards,
          returnSequences,
          recurrentMask: gateMasks?.recurrent[0],
          inputMask: gateMasks?.input[0],
          stepMask,
        },
        outputMask,
      };
    }
    return {
      kind: l.kind === 'LSTM' ? 'LSTM' : 'GRU',
      weights: { kernel, recurrentKernel, bias },
      options: {
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        resetAfter: l.kind === 'GRU',
        goBackwards,
        returnSequences,
        stepMask,
      },
      gateMasks,
      outputMask,
    };
  });
  return { stack, weights, constants };
}

/** The layers one by one through the reference kernels, each output times its Dropout mask. */
export function reference(x: tf.Tensor3D, stack: readonly RecurrentStackLayer[]): tf.Tensor {
  let h: tf.Tensor = x;
  for (const layer of stack) {
    const xs = h as tf.Tensor3D;
    if (!('kind' in layer)) {
      h = simpleRnnSequenceReference(xs, layer.weights, layer.options).output;
    } else {
      const { kind, weights, options, gateMasks } = layer;
      const stepOptions = {
        ...options,
        implementation: gateMasks === undefined ? (2 as const) : (1 as const),
        inputMasks: gateMasks?.input,
        recurrentMasks: gateMasks?.recurrent,
      };
      h =
        kind === 'LSTM'
          ? lstmSequence(xs, { ...weights, bias: weights.bias as tf.Tensor1D }, stepOptions).output
          : gruSequence(xs, weights, stepOptions).output;
    }
    if (layer.outputMask !== undefined) h = tf.mul(h, layer.outputMask);
  }
  return h;
}

/** The stack's weights replaced by `weights` in order, for tf.grads. */
export function withWeights(stack: readonly RecurrentStackLayer[], weights: readonly tf.Tensor[]) {
  return stack.map((layer, i): RecurrentStackLayer => {
    const [kernel, recurrentKernel, bias] = weights.slice(3 * i, 3 * i + 3);
    const w = { kernel: kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D };
    return 'kind' in layer
      ? { ...layer, weights: { ...w, bias } }
      : { ...layer, weights: { ...w, bias: bias as tf.Tensor1D } };
  });
}
