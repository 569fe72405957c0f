import * as tf from '@tensorflow/tfjs';
import {
  type SimpleRnnCase,
  simpleRnnCaseArbitrary,
  simpleRnnGradients,
} from '../../helpers/simple_rnn_gradients';
import fc from 'fast-check';
import { fusedSimpleRnnSequence, type simpleRnnSequence } from '../../../src/kernels/simple_rnn';
import type { SimpleRnnSequenceOptions } from '../../../src/kernels/simple_rnn_reference';
import { setThreads, wasmKernelMemory, wasmSimpleRnnSequence } from '../../../src/kernels/wasm';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
  setThreads(1);
});

afterAll(() => {
  setThreads(undefined);
});

type Case = SimpleRnnCase & { initialState: boolean };

/** The output and state, and the gradients of a loss of both by x, W, U, b and h0. */
function gradientsOf(run: typeof simpleRnnSequence, c: Case) {
  return simpleRnnGradients(run, c, 0.9 / Math.sqrt(c.units));
}

function expectAgreement(c: Case): void {
  const ours = gradientsOf(wasmSimpleRnnSequence, c);
  const fused = gradientsOf(fusedSimpleRnnSequence, c);
  expect(ours.output).toBeAllClose(fused.output, 1e-5, 1e-5);
  expect(ours.state).toBeAllClose(fused.state, 1e-5, 1e-5);
  expect(ours.value).toBeAllClose(fused.value, 1e-4, 1e-5);
  ours.grads.forEach((g, i) => {
    expect(g).toBeAllClose(fused.grads[i], 5e-5, 1e-4);
  });
  tf.dispose([ours, fused]);
}

const caseArbitrary = simpleRnnCaseArbitrary(
  { batch: 9, features: 6, units: 11, seed: 100_000 },
  true,
);

const stock: Case = {
  batch: 64,
  steps: 6,
  features: 80,
  units: 100,
  activation: 'tanh',
  goBackwards: false,
  returnSequences: true,
  useBias: true,
  initialState: false,
  masks: false,
  seed: 1,
};

describe('wasm SimpleRNN layer kernel (projection, recurrence and every gradient)', () => {
  it('agrees with the fused tfjs-ops kernel on random shapes and options', () => {
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        expectAgreement(c);
      }),
      { numRuns: 80, seed: 20261127 },
    );
  });

  it.each([
    ['the stock second layer', stock],
    [
      'the stock first layer, backwards, masked',
      { ...stock, features: 1, units: 80, goBackwards: true, masks: true },
    ],
    ['one step, batch 1', { ...stock, batch: 1, steps: 1, features: 3, units: 5 }],
    [
      'features not a multiple of 4',
      { ...stock, batch: 6, features: 7, units: 9, initialState: true },
    ],
    [
      // The tiles take k in blocks of 512: the products over features and units continue
      // across blocks, and 6 rows leave 2 past the last block of 4.
      'features and units past one packed block',
      { ...stock, batch: 6, steps: 3, features: 530, units: 517, masks: true, initialState: true },
    ],
  ])('agrees with the fused tfjs-ops kernel: %s', (_, c) => {
    expectAgreement(c);
  });

  it('agrees with the fused tfjs-ops kernel on 2 threads, a batch of 37 in shares of 12, 8, 8, 4, 4 and 1', () => {
    const c: Case = {
      ...stock,
      batch: 37,
      steps: 30,
      features: 13,
      units: 45,
      goBackwards: true,
      masks: true,
      initialState: true,
    };
    try {
      setThreads(2);
      expectAgreement(c);
    } finally {
      setThreads(1);
    }
  });

  it('gives the same numbers on 1 and 2 threads', () => {
    const c: Case = { ...stock, steps: 10, masks: true, initialState: true };
    try {
      setThreads(1);
      const one = gradientsOf(wasmSimpleRnnSequence, c);
      setThreads(2);
      const two = gradientsOf(wasmSimpleRnnSequence, c);
      expect(two.output).toBeAllClose(one.output, 0, 0);
      two.grads.forEach((g, i) => {
        expect(g).toBeAllClose(one.grads[i], 0, 0);
      });
      tf.dispose([one, two]);
    } finally {
      setThreads(1);
    }
  });

  it('leaks no tensors and no kernel memory', async () => {
    const c: Case = { ...stock, batch: 5, steps: 4, features: 3, units: 6, masks: true };
    tf.dispose(gradientsOf(wasmSimpleRnnSequence, c));
    const before = wasmKernelMemory();
    await expectNoLeak(() => {
      for (let i = 0; i < 20; i++) tf.dispose(gradientsOf(wasmSimpleRnnSequence, c));
    });
    expect(wasmKernelMemory()).toEqual(before);
    expect(before.pendingGradients).toBe(0);
  });

  it.each([
    [
      'x of rank 2',
      () => [tf.zeros([2, 3]), tf.zeros([3, 4]), tf.zeros([4, 4]), null],
      /wasmSimpleRnnSequence: expected x of shape \[samples, timesteps, features\], each at least 1, received \[2, 3\]/,
    ],
    [
      'a kernel for other features',
      () => [tf.zeros([2, 5, 3]), tf.zeros([2, 4]), tf.zeros([4, 4]), null],
      /expected kernel of shape \[3, 4\], received \[2, 4\]/,
    ],
    [
      'a recurrent kernel for other units',
      () => [tf.zeros([2, 5, 3]), tf.zeros([3, 4]), tf.zeros([3, 3]), null],
      /expected recurrentKernel of shape \[4, 4\], received \[3, 3\]/,
    ],
    [
      'a bias for other units',
      () => [tf.zeros([2, 5, 3]), tf.zeros([3, 4]), tf.zeros([4, 4]), tf.zeros([5])],
      /expected bias of shape \[4\], received \[5\]/,
    ],
  ])('rejects %s', (_, make, message) => {
    const [x, kernel, recurrent, bias] = make() as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor | null,
    ];
    expect(() =>
      wasmSimpleRnnSequence(
        x as tf.Tensor3D,
        {
          kernel: kernel as tf.Tensor2D,
          recurrentKernel: recurrent as tf.Tensor2D,
          bias: bias as tf.Tensor1D | null,
        },
        { activation: 'tanh', goBackwards: false, returnSequences: true },
      ),
    ).toThrow(message);
    tf.dispose(bias === null ? [x, kernel, recurrent] : [x, kernel, recurrent, bias]);
  });

  it.each<[string, () => Partial<SimpleRnnSequenceOptions>, RegExp]>([
    [
      'initialState',
      () => ({ initialState: tf.zeros<tf.Rank.R2>([3, 4]) }),
      /initialState of shape \[2, 4\]/,
    ],
    [
      'inputMask',
      () => ({ inputMask: tf.zeros<tf.Rank.R2>([2, 4]) }),
      /inputMask of shape \[2, 3\]/,
    ],
    [
      'recurrentMask',
      () => ({ recurrentMask: tf.zeros<tf.Rank.R2>([2, 3]) }),
      /recurrentMask of shape \[2, 4\]/,
    ],
    [
      'activation',
      () => ({ activation: 'elu' }),
      /expected activation 'tanh', 'sigmoid', 'relu' or 'linear', received "elu"/,
    ],
  ])('rejects a bad %s', (_, extra, message) => {
    tf.tidy(() => {
      expect(() =>
        wasmSimpleRnnSequence(
          tf.zeros<tf.Rank.R3>([2, 5, 3]),
          { kernel: tf.zeros([3, 4]), recurrentKernel: tf.zeros([4, 4]), bias: null },
          { activation: 'tanh', goBackwards: false, returnSequences: true, ...extra() },
        ),
      ).toThrow(message);
    });
  });
});
