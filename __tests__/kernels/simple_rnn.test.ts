import * as tf from '@tensorflow/tfjs';
import {
  type SimpleRnnCase,
  simpleRnnCaseArbitrary,
  simpleRnnGradients,
} from '../helpers/simple_rnn_gradients';
import fc from 'fast-check';
import { fusedSimpleRnnSequence, simpleRnnSequence } from '../../src/kernels/simple_rnn';
import { simpleRnnSequenceReference } from '../../src/kernels/simple_rnn_reference';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import { referenceSimpleRnn } from '../helpers/reference_rnn';
import { normal } from '../helpers/random_tensors';

beforeAll(async () => {
  await useTestBackend();
});

type Case = SimpleRnnCase;

/** The kernel's output and state, and the gradients of a loss of both by x, W, U, b and h0. */
function gradientsOf(run: typeof simpleRnnSequence, c: Case) {
  return simpleRnnGradients(run, c, 0.5);
}

const caseArbitrary = simpleRnnCaseArbitrary(
  { batch: 4, features: 5, units: 9, seed: 10_000 },
  false,
);

describe('SimpleRNN kernels against the step-by-step autodiff reference', () => {
  // simpleRnnSequence runs the WebAssembly kernels wherever they load; the fused tfjs-ops
  // kernel is their fallback, and both must agree with the reference.
  it.each([
    ['the default kernel (simpleRnnSequence)', simpleRnnSequence],
    ['the fused tfjs-ops kernel', fusedSimpleRnnSequence],
  ])('%s agrees on outputs, states and every gradient for random shapes and options', (_, run) => {
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        const kernel = gradientsOf(run, c);
        const reference = gradientsOf(simpleRnnSequenceReference, c);
        expect(kernel.output).toBeAllClose(reference.output, 1e-5, 1e-5);
        expect(kernel.state).toBeAllClose(reference.state, 1e-5, 1e-5);
        expect(kernel.value).toBeAllClose(reference.value, 1e-4, 1e-5);
        kernel.grads.forEach((g, i) => {
          expect(g).toBeAllClose(reference.grads[i], 1e-4, 1e-4);
        });
        tf.dispose([kernel, reference]);
      }),
      { numRuns: 60, seed: 20261126 },
    );
  });

  it('leaks no tensors through forward and backward', async () => {
    const c: Case = {
      batch: 3,
      steps: 5,
      features: 2,
      units: 4,
      activation: 'tanh',
      goBackwards: true,
      returnSequences: true,
      useBias: true,
      masks: true,
      seed: 4,
    };
    tf.dispose(gradientsOf(simpleRnnSequence, c));
    await expectNoLeak(() => {
      tf.dispose(gradientsOf(simpleRnnSequence, c));
    });
  });
});

describe('the state of a layer that returns sequences', () => {
  it.each([
    ['the default kernel (simpleRnnSequence)', simpleRnnSequence],
    ['the fused tfjs-ops kernel', fusedSimpleRnnSequence],
  ])('%s makes it only when it is read, as the last step of the output', (_, run) => {
    const x = normal<tf.Rank.R3>([3, 5, 2], 1, 11);
    const weights = {
      kernel: normal<tf.Rank.R2>([2, 4], 0.5, 12),
      recurrentKernel: normal<tf.Rank.R2>([4, 4], 0.5, 13),
      bias: normal<tf.Rank.R1>([4], 0.1, 14),
    };
    const before = tf.memory().numTensors;
    const result = run(x, weights, {
      activation: 'tanh',
      goBackwards: false,
      returnSequences: true,
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    const state = result.state;
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(result.state).toBe(state);
    const last = tf.tidy(() => tf.reshape(tf.slice(result.output, [0, 4, 0], [3, 1, 4]), [3, 4]));
    expect(state).toBeAllClose(last, 0, 0);
    tf.dispose([
      x,
      weights.kernel,
      weights.recurrentKernel,
      weights.bias,
      result.output,
      state,
      last,
    ]);
  });
});

describe('kernel gradients against finite differences of the float64 formula', () => {
  it.each([
    ['tanh', false],
    ['tanh', true],
    ['sigmoid', true],
    ['elu', true],
  ])('activation %s, goBackwards %s: d sum(h_T) / dx', (activation, goBackwards) => {
    const xs = [
      [
        [0.3, -0.8],
        [1.1, 0.4],
        [-0.5, 0.9],
      ],
    ];
    const kernel = [
      [0.5, -0.3],
      [0.2, 0.7],
    ];
    const recurrent = [
      [0.4, 0.1],
      [-0.6, 0.3],
    ];
    const bias = [0.1, -0.2];
    const lossOf = (x: number[][][]): number => {
      const out = referenceSimpleRnn(x, kernel, recurrent, bias, activation, goBackwards);
      const last = out[0]?.at(-1) ?? [];
      return last.reduce((a, b) => a + b, 0);
    };
    const eps = 1e-6;
    const expected = xs.map((seq, b) =>
      seq.map((step, t) =>
        step.map((_, f) => {
          const plus = structuredClone(xs);
          const minus = structuredClone(xs);
          (plus[b] ?? [])[t]?.splice(f, 1, (xs[b]?.[t]?.[f] ?? 0) + eps);
          (minus[b] ?? [])[t]?.splice(f, 1, (xs[b]?.[t]?.[f] ?? 0) - eps);
          return (lossOf(plus) - lossOf(minus)) / (2 * eps);
        }),
      ),
    );
    const grad = tf.tidy(() =>
      tf.grad((x: tf.Tensor): tf.Scalar =>
        tf.sum(
          simpleRnnSequence(
            x as tf.Tensor3D,
            {
              kernel: tf.tensor2d(kernel),
              recurrentKernel: tf.tensor2d(recurrent),
              bias: tf.tensor1d(bias),
            },
            { activation, goBackwards, returnSequences: false },
          ).output,
        ),
      )(tf.tensor3d(xs)),
    );
    expect(grad).toBeAllClose(expected, 1e-4, 1e-3);
    grad.dispose();
  });
});
