/**
 * The LSTM and GRU kernels in WebAssembly against the fused tfjs ops (themselves tested against
 * the step-by-step kernels that tfjs differentiates): the same outputs and the same gradients
 * of x and every weight, for every option they take, on one thread and on several, leaking
 * neither tensors nor the kernels' memory.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedGruSequence } from '../../../src/kernels/cells/gru_fused';
import { fusedLstmSequence } from '../../../src/kernels/cells/lstm_fused';
import type { FusedActivation } from '../../../src/kernels/fused_steps';
import {
  setThreads,
  wasmGruSequence,
  wasmKernelMemory,
  wasmLstmSequence,
} from '../../../src/kernels/wasm';
import { pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { expectSameValueAndGradients } from '../../helpers/same_gradients';
import { useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => {
  setThreads(undefined);
});

interface Case {
  kind: 'LSTM' | 'GRU';
  resetAfter: boolean;
  goBackwards: boolean;
  returnSequences: boolean;
  bias: boolean;
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
  /** [batch, steps, features, units] */
  sizes: [number, number, number, number];
  threads: number;
}

const BASE: Case = {
  kind: 'LSTM',
  resetAfter: true,
  goBackwards: false,
  returnSequences: false,
  bias: true,
  activation: 'tanh',
  recurrentActivation: 'sigmoid',
  sizes: [3, 5, 2, 4],
  threads: 1,
};

function variants(kind: 'LSTM' | 'GRU', resetAfter: boolean): [string, Case][] {
  const base = { ...BASE, kind, resetAfter };
  const name = kind === 'GRU' ? `GRU (resetAfter: ${resetAfter})` : 'LSTM';
  return [
    [`${name}, last step`, base],
    [`${name}, every step`, { ...base, returnSequences: true }],
    [`${name}, goBackwards, every step`, { ...base, goBackwards: true, returnSequences: true }],
    [`${name}, goBackwards, last step, no bias`, { ...base, goBackwards: true, bias: false }],
    [
      `${name}, relu and linear`,
      { ...base, returnSequences: true, activation: 'relu', recurrentActivation: 'linear' },
    ],
    [`${name}, sigmoid and tanh`, { ...base, activation: 'sigmoid', recurrentActivation: 'tanh' }],
    // Units and features not multiples of 4 (padded lanes), a batch split over threads.
    [
      `${name}, 7 units, 6 features, 37 samples, 2 threads`,
      { ...base, returnSequences: true, sizes: [37, 6, 6, 7], threads: 2 },
    ],
    [`${name}, one step`, { ...base, sizes: [2, 1, 3, 5] }],
  ];
}

const CASES: [string, Case][] = [
  ...variants('LSTM', false),
  ...variants('GRU', true),
  ...variants('GRU', false),
];

function run(c: Case, wasm: boolean) {
  return (xs: tf.Tensor, w: tf.Tensor, u: tf.Tensor, b?: tf.Tensor): tf.Tensor => {
    const weights = {
      kernel: w as tf.Tensor2D,
      recurrentKernel: u as tf.Tensor2D,
      bias: (b ?? null) as tf.Tensor1D | null,
    };
    const x = xs as tf.Tensor3D;
    if (c.kind === 'LSTM') {
      return wasm ? wasmLstmSequence(x, weights, c) : fusedLstmSequence(x, weights, c);
    }
    return wasm ? wasmGruSequence(x, weights, c) : fusedGruSequence(x, weights, c);
  };
}

describe('wasmLstmSequence and wasmGruSequence', () => {
  it.each(CASES)('%s: the fused ops’ output and gradients', async (_what, c) => {
    setThreads(c.threads);
    const [batch, steps, features, units] = c.sizes;
    const gates = c.kind === 'LSTM' ? 4 : 3;
    const x = tensor([batch, steps, features], 1);
    const kernel = tensor([features, gates * units], 2, 0.6);
    const recurrentKernel = tensor([units, gates * units], 3, 0.6);
    const biasShape = c.kind === 'GRU' && c.resetAfter ? [2, gates * units] : [gates * units];
    const bias = c.bias ? tensor(biasShape, 4, 0.5) : null;
    const target = tensor(c.returnSequences ? [batch, steps, units] : [batch, units], 5);
    const loss =
      (wasm: boolean) =>
      (...inputs: tf.Tensor[]): tf.Scalar => {
        const [xs, w, u, b] = inputs;
        const out = run(c, wasm)(xs, w, u, b);
        return tf.mean(tf.square(tf.sub(out, target)));
      };
    const inputs =
      bias === null ? [x, kernel, recurrentKernel] : [x, kernel, recurrentKernel, bias];
    // A first gradient starts the worker pool for this thread count (blocks of its own).
    tf.dispose(tf.grads(loss(true))(inputs));
    const before = wasmKernelMemory();
    await expectSameValueAndGradients(loss(true), loss(false), inputs, 2e-6);
    const after = wasmKernelMemory();
    expect(after.blocksInUse).toBe(before.blocksInUse);
    expect(after.pendingGradients).toBe(0);
    tf.dispose([x, kernel, recurrentKernel, target, ...(bias === null ? [] : [bias])]);
  });

  it('returns the same output without a gradient tape, keeping nothing', () => {
    const c = { ...BASE, returnSequences: true };
    const x = tensor([4, 3, 2], 1);
    const w = tensor([2, 16], 2, 0.6);
    const u = tensor([4, 16], 3, 0.6);
    const ours = run(c, true)(x, w, u);
    const fused = run(c, false)(x, w, u);
    expect(ours).toBeAllClose(fused, 2e-6);
    expect(wasmKernelMemory().pendingGradients).toBe(0);
    tf.dispose([x, w, u, ours, fused]);
  });

  it('refuses weights whose shapes do not fit, naming the weight', () => {
    const x = tensor([2, 3, 2], 1) as tf.Tensor3D;
    const weights = {
      kernel: tensor([2, 12], 2) as tf.Tensor2D,
      recurrentKernel: tensor([4, 16], 3) as tf.Tensor2D,
      bias: null,
    };
    expect(() => wasmLstmSequence(x, weights, BASE)).toThrow(
      'LSTM: expected kernel of shape [2, 16], received [2, 12].',
    );
    tf.dispose([x, weights.kernel, weights.recurrentKernel]);
  });
});
