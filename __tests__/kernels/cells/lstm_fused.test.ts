/**
 * The fused LSTM (hand-written BPTT) against the step-by-step kernel that tfjs differentiates:
 * the same outputs and the same gradients of every input, for every option it takes.
 */
import * as tf from '@tensorflow/tfjs';
import { lstmSequence } from '../../../src/kernels/cells/lstm';
import { fusedLstmSequence } from '../../../src/kernels/cells/lstm_fused';
import type { FusedActivation } from '../../../src/kernels/fused_steps';
import { pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { expectSameValueAndGradients } from '../../helpers/same_gradients';
import { useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

interface Case {
  goBackwards: boolean;
  returnSequences: boolean;
  bias: boolean;
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
}

const CASES: [string, Case][] = [
  [
    'last step',
    {
      goBackwards: false,
      returnSequences: false,
      bias: true,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
    },
  ],
  [
    'every step',
    {
      goBackwards: false,
      returnSequences: true,
      bias: true,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
    },
  ],
  [
    'goBackwards, every step',
    {
      goBackwards: true,
      returnSequences: true,
      bias: true,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
    },
  ],
  [
    'goBackwards, last step, no bias',
    {
      goBackwards: true,
      returnSequences: false,
      bias: false,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
    },
  ],
  [
    'relu and linear',
    {
      goBackwards: false,
      returnSequences: true,
      bias: true,
      activation: 'relu',
      recurrentActivation: 'linear',
    },
  ],
];

describe('fusedLstmSequence', () => {
  it.each(CASES)('%s: the same output and gradients as lstmSequence', async (_what, c) => {
    const [batch, steps, features, units] = [3, 5, 2, 4];
    const x = tensor([batch, steps, features], 1) as tf.Tensor3D;
    const kernel = tensor([features, 4 * units], 2, 0.6) as tf.Tensor2D;
    const recurrentKernel = tensor([units, 4 * units], 3, 0.6) as tf.Tensor2D;
    const bias = c.bias ? (tensor([4 * units], 4, 0.5) as tf.Tensor1D) : null;
    const target = tensor(c.returnSequences ? [batch, steps, units] : [batch, units], 5);
    const loss =
      (fused: boolean) =>
      (xs: tf.Tensor, w: tf.Tensor, u: tf.Tensor, b?: tf.Tensor): tf.Scalar => {
        const weights = {
          kernel: w as tf.Tensor2D,
          recurrentKernel: u as tf.Tensor2D,
          bias: (b ?? null) as tf.Tensor1D | null,
        };
        const options = { ...c, implementation: 2 as const };
        const out = fused
          ? fusedLstmSequence(xs as tf.Tensor3D, weights, options)
          : lstmSequence(xs as tf.Tensor3D, weights, options).output;
        return tf.mean(tf.square(tf.sub(out, target)));
      };
    const inputs =
      bias === null ? [x, kernel, recurrentKernel] : [x, kernel, recurrentKernel, bias];
    await expectSameValueAndGradients(loss(true), loss(false), inputs, 1e-6);
    tf.dispose([x, kernel, recurrentKernel, target, ...(bias === null ? [] : [bias])]);
  });
});
