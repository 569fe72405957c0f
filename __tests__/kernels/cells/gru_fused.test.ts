/**
 * The fused GRU (hand-written BPTT) against the step-by-step kernel that tfjs differentiates:
 * the same outputs and the same gradients of every input, in both reset modes.
 */
import * as tf from '@tensorflow/tfjs';
import { gruSequence } from '../../../src/kernels/cells/gru';
import { fusedGruSequence } from '../../../src/kernels/cells/gru_fused';
import type { FusedActivation } from '../../../src/kernels/fused_steps';
import { pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { expectSameValueAndGradients } from '../../helpers/same_gradients';
import { useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

interface Case {
  resetAfter: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  bias: boolean;
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
}

const GRU: Omit<Case, 'resetAfter'> = {
  goBackwards: false,
  returnSequences: false,
  bias: true,
  activation: 'tanh',
  recurrentActivation: 'sigmoid',
};

const CASES: [string, Case][] = [
  ['resetAfter, last step', { ...GRU, resetAfter: true }],
  [
    'resetAfter, every step, goBackwards',
    { ...GRU, resetAfter: true, returnSequences: true, goBackwards: true },
  ],
  ['resetAfter false, last step', { ...GRU, resetAfter: false }],
  [
    'resetAfter false, every step, no bias',
    { ...GRU, resetAfter: false, returnSequences: true, bias: false },
  ],
  [
    'resetAfter false, goBackwards, relu and linear',
    {
      ...GRU,
      resetAfter: false,
      goBackwards: true,
      activation: 'relu',
      recurrentActivation: 'linear',
    },
  ],
];

describe('fusedGruSequence', () => {
  it.each(CASES)('%s: the same output and gradients as gruSequence', async (_what, c) => {
    const [batch, steps, features, units] = [3, 5, 2, 4];
    const x = tensor([batch, steps, features], 1) as tf.Tensor3D;
    const kernel = tensor([features, 3 * units], 2, 0.6) as tf.Tensor2D;
    const recurrentKernel = tensor([units, 3 * units], 3, 0.6) as tf.Tensor2D;
    const bias = c.bias ? tensor(c.resetAfter ? [2, 3 * units] : [3 * units], 4, 0.5) : null;
    const target = tensor(c.returnSequences ? [batch, steps, units] : [batch, units], 5);
    const loss =
      (fused: boolean) =>
      (xs: tf.Tensor, w: tf.Tensor, u: tf.Tensor, b?: tf.Tensor): tf.Scalar => {
        const weights = {
          kernel: w as tf.Tensor2D,
          recurrentKernel: u as tf.Tensor2D,
          bias: b ?? null,
        };
        const out = fused
          ? fusedGruSequence(xs as tf.Tensor3D, weights, c)
          : gruSequence(xs as tf.Tensor3D, weights, { ...c, implementation: 2 }).output;
        return tf.mean(tf.square(tf.sub(out, target)));
      };
    const inputs =
      bias === null ? [x, kernel, recurrentKernel] : [x, kernel, recurrentKernel, bias];
    await expectSameValueAndGradients(loss(true), loss(false), inputs, 1e-6);
    tf.dispose([x, kernel, recurrentKernel, target, ...(bias === null ? [] : [bias])]);
  });
});
