/**
 * A SimpleRNN kernel's outputs and gradients on seeded random data, for tests that compare one
 * kernel with another: the output and last state, and the gradients of a loss of both by x, the
 * kernel, the recurrent kernel, the bias and the initial state.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import type { simpleRnnSequence } from '../../src/kernels/simple_rnn';
import type { SimpleRnnSequenceOptions } from '../../src/kernels/simple_rnn_reference';
import { dropoutMask, normal } from './random_tensors';

export interface SimpleRnnCase {
  batch: number;
  steps: number;
  features: number;
  units: number;
  activation: 'tanh' | 'sigmoid' | 'relu' | 'linear';
  goBackwards: boolean;
  returnSequences: boolean;
  useBias: boolean;
  /** Whether the initial state is given (default) or left to the kernel (zeros). */
  initialState?: boolean;
  masks: boolean;
  seed: number;
}

/** The largest sizes and seed of random cases. */
export interface SimpleRnnCaseLimits {
  batch: number;
  features: number;
  units: number;
  seed: number;
}

/**
 * Random cases of 1-7 steps and every activation and option; `initialState`: whether cases
 * may give the initial state (else the field is left out).
 */
export function simpleRnnCaseArbitrary(
  max: SimpleRnnCaseLimits,
  initialState: true,
): fc.Arbitrary<SimpleRnnCase & { initialState: boolean }>;
export function simpleRnnCaseArbitrary(
  max: SimpleRnnCaseLimits,
  initialState: false,
): fc.Arbitrary<SimpleRnnCase>;
export function simpleRnnCaseArbitrary(
  max: SimpleRnnCaseLimits,
  initialState: boolean,
): fc.Arbitrary<SimpleRnnCase> {
  const shapeAndOptions = {
    batch: fc.integer({ min: 1, max: max.batch }),
    steps: fc.integer({ min: 1, max: 7 }),
    features: fc.integer({ min: 1, max: max.features }),
    units: fc.integer({ min: 1, max: max.units }),
    activation: fc.constantFrom(
      'tanh' as const,
      'sigmoid' as const,
      'relu' as const,
      'linear' as const,
    ),
    goBackwards: fc.boolean(),
    returnSequences: fc.boolean(),
    useBias: fc.boolean(),
  };
  const masksAndSeed = {
    masks: fc.boolean(),
    seed: fc.integer({ min: 1, max: max.seed }),
  };
  // The keys in this order: fast-check draws them in it, so the cases stay the same.
  return initialState
    ? fc.record({ ...shapeAndOptions, initialState: fc.boolean(), ...masksAndSeed })
    : fc.record({ ...shapeAndOptions, ...masksAndSeed });
}

/** `recurrentScale`: the standard deviation of the recurrent kernel's entries. */
export function simpleRnnGradients(
  run: typeof simpleRnnSequence,
  c: SimpleRnnCase,
  recurrentScale: number,
) {
  return tf.tidy(() => {
    const x = normal<tf.Rank.R3>([c.batch, c.steps, c.features], 1, c.seed);
    const kernel = normal<tf.Rank.R2>([c.features, c.units], 0.5, c.seed + 1);
    const recurrent = normal<tf.Rank.R2>([c.units, c.units], recurrentScale, c.seed + 2);
    const bias = normal<tf.Rank.R1>([c.units], 0.5, c.seed + 3);
    const h0 = normal<tf.Rank.R2>([c.batch, c.units], 0.5, c.seed + 4);
    const outputShape = c.returnSequences ? [c.batch, c.steps, c.units] : [c.batch, c.units];
    const weightOut = normal<tf.Rank>(outputShape, 1, c.seed + 5);
    const options: SimpleRnnSequenceOptions = {
      activation: c.activation,
      goBackwards: c.goBackwards,
      returnSequences: c.returnSequences,
      inputMask: c.masks ? dropoutMask([c.batch, c.features], 0.7, c.seed + 6) : undefined,
      recurrentMask: c.masks ? dropoutMask([c.batch, c.units], 0.6, c.seed + 7) : undefined,
    };
    const call = (xs: tf.Tensor, w: tf.Tensor, u: tf.Tensor, b: tf.Tensor, h: tf.Tensor) =>
      run(
        xs as tf.Tensor3D,
        {
          kernel: w as tf.Tensor2D,
          recurrentKernel: u as tf.Tensor2D,
          bias: c.useBias ? (b as tf.Tensor1D) : null,
        },
        { ...options, initialState: c.initialState === false ? undefined : (h as tf.Tensor2D) },
      );
    const loss = (xs: tf.Tensor, w: tf.Tensor, u: tf.Tensor, b: tf.Tensor, h: tf.Tensor) => {
      const result = call(xs, w, u, b, h);
      // Unused inputs still enter (times 0) so that tfjs can differentiate by them.
      const unused = tf.mul(tf.add(tf.sum(b), tf.sum(h)), 0);
      return tf.addN([
        tf.sum(tf.mul(result.output, weightOut)),
        tf.sum(tf.square(result.state)),
        unused,
      ]) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(loss)([x, kernel, recurrent, bias, h0]);
    const out = call(x, kernel, recurrent, bias, h0);
    return { value, grads, output: out.output, state: out.state };
  });
}
