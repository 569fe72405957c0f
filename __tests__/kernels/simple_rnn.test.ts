import * as tf from '@tensorflow/tfjs';
import { dropoutMask, normal } from '../helpers/random_tensors';
import fc from 'fast-check';
import { simpleRnnSequence } from '../../src/kernels/simple_rnn';
import { simpleRnnSequenceReference } from '../../src/kernels/simple_rnn_reference';
import type { SimpleRnnSequenceOptions } from '../../src/kernels/simple_rnn_reference';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import { referenceSimpleRnn } from '../helpers/reference_rnn';

beforeAll(async () => {
  await useTestBackend();
});

interface Case {
  batch: number;
  steps: number;
  features: number;
  units: number;
  activation: 'tanh' | 'sigmoid' | 'relu' | 'linear';
  goBackwards: boolean;
  returnSequences: boolean;
  useBias: boolean;
  masks: boolean;
  seed: number;
}

/** The loss of the kernel's output and state, differentiated by x, W, U, b and h0. */
function gradientsOf(run: typeof simpleRnnSequence, c: Case) {
  return tf.tidy(() => {
    const x = normal<tf.Rank.R3>([c.batch, c.steps, c.features], 1, c.seed);
    const kernel = normal<tf.Rank.R2>([c.features, c.units], 0.5, c.seed + 1);
    const recurrent = normal<tf.Rank.R2>([c.units, c.units], 0.5, c.seed + 2);
    const bias = normal<tf.Rank.R1>([c.units], 0.5, c.seed + 3);
    const h0 = normal<tf.Rank.R2>([c.batch, c.units], 0.5, c.seed + 4);
    const outputShape = c.returnSequences ? [c.batch, c.steps, c.units] : [c.batch, c.units];
    const weightOut = normal<tf.Rank>(outputShape, 1, c.seed + 5);
    const inputMask = c.masks ? dropoutMask([c.batch, c.features], 0.7, c.seed + 6) : undefined;
    const recurrentMask = c.masks ? dropoutMask([c.batch, c.units], 0.6, c.seed + 7) : undefined;
    const options: SimpleRnnSequenceOptions = {
      activation: c.activation,
      goBackwards: c.goBackwards,
      returnSequences: c.returnSequences,
      inputMask,
      recurrentMask,
    };
    const loss = (
      xs: tf.Tensor,
      w: tf.Tensor,
      u: tf.Tensor,
      b: tf.Tensor,
      h: tf.Tensor,
    ): tf.Scalar => {
      const result = run(
        xs as tf.Tensor3D,
        {
          kernel: w as tf.Tensor2D,
          recurrentKernel: u as tf.Tensor2D,
          bias: c.useBias ? (b as tf.Tensor1D) : null,
        },
        { ...options, initialState: h as tf.Tensor2D },
      );
      // Without bias, b still enters (times 0) so that tfjs can differentiate by it.
      const unused = c.useBias ? 0 : tf.mul(tf.sum(b), 0);
      return tf.addN([
        tf.sum(tf.mul(result.output, weightOut)),
        tf.sum(tf.square(result.state)),
        tf.scalar(0).add(unused),
      ]);
    };
    const { value, grads } = tf.valueAndGrads(loss)([x, kernel, recurrent, bias, h0]);
    const output = run(
      x,
      { kernel, recurrentKernel: recurrent, bias: c.useBias ? bias : null },
      { ...options, initialState: h0 },
    );
    return { value, grads, output: output.output, state: output.state };
  });
}

const caseArbitrary = fc.record({
  batch: fc.integer({ min: 1, max: 4 }),
  steps: fc.integer({ min: 1, max: 7 }),
  features: fc.integer({ min: 1, max: 5 }),
  units: fc.integer({ min: 1, max: 9 }),
  activation: fc.constantFrom(
    'tanh' as const,
    'sigmoid' as const,
    'relu' as const,
    'linear' as const,
  ),
  goBackwards: fc.boolean(),
  returnSequences: fc.boolean(),
  useBias: fc.boolean(),
  masks: fc.boolean(),
  seed: fc.integer({ min: 1, max: 10_000 }),
});

describe('fused SimpleRNN kernel against the step-by-step autodiff reference', () => {
  it('agrees on outputs, states and every gradient for random shapes and options', () => {
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        const fused = gradientsOf(simpleRnnSequence, c);
        const reference = gradientsOf(simpleRnnSequenceReference, c);
        expect(fused.output).toBeAllClose(reference.output, 1e-5, 1e-5);
        expect(fused.state).toBeAllClose(reference.state, 1e-5, 1e-5);
        expect(fused.value).toBeAllClose(reference.value, 1e-4, 1e-5);
        fused.grads.forEach((g, i) => {
          expect(g).toBeAllClose(reference.grads[i], 1e-4, 1e-4);
        });
        tf.dispose([fused, reference]);
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
