/**
 * Keras's step mask in the SimpleRNN ops' own parts: an initial state (and its gradient) and
 * the last state in `wasmSimpleRnnSequence`, the Dense head inside `wasmSimpleRnnStack`; and
 * the ops' refusal of a step mask of the wrong shape.
 */
import * as tf from '@tensorflow/tfjs';
import type { GatedStackLayer } from '../../../src/kernels/cells/gated_stack';
import { isSimpleRnnLayer } from '../../../src/kernels/recurrent_stack';
import { simpleRnnSequenceReference } from '../../../src/kernels/simple_rnn_reference';
import {
  type SimpleRnnStackLayer,
  setThreads,
  wasmGatedStack,
  wasmKernelMemory,
  wasmSimpleRnnSequence,
  wasmSimpleRnnStack,
} from '../../../src/kernels/wasm';
import { pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { expectSameValueAndGradients } from '../../helpers/same_gradients';
import { useTestBackend } from '../../helpers/tensors';
import {
  type Case,
  type Shape,
  makeStack,
  reference,
  stepMaskOf,
  withWeights,
} from './step_mask_case';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => {
  setThreads(undefined);
});

describe('step masks in the SimpleRNN ops: initial states and the Dense head', () => {
  const shape: Shape = [6, 5, 3];
  const units = 4;

  it.each([
    ['every step', true, false],
    ['last step', false, false],
    ['every step, goBackwards', true, true],
  ] as const)(
    'wasmSimpleRnnSequence with an initial state, %s: the reference’s output, last state and gradients (h0’s too)',
    async (_what, returnSequences, goBackwards) => {
      setThreads(1);
      const x = tensor(shape, 3);
      const kernel = tensor([shape[2], units], 4, 0.6);
      const recurrentKernel = tensor([units, units], 5, 0.6);
      const bias = tensor([units], 6, 0.5);
      const h0 = tensor([shape[0], units], 7);
      const stepMask = stepMaskOf('a sample fully masked', shape, 8);
      const loss =
        (wasm: boolean) =>
        (...inputs: tf.Tensor[]): tf.Scalar => {
          const [xs, w, u, b, initialState] = inputs;
          const run = wasm ? wasmSimpleRnnSequence : simpleRnnSequenceReference;
          const options = { activation: 'tanh', goBackwards, returnSequences, stepMask };
          const weights = {
            kernel: w as tf.Tensor2D,
            recurrentKernel: u as tf.Tensor2D,
            bias: b as tf.Tensor1D,
          };
          const { output, state } = run(xs as tf.Tensor3D, weights, {
            ...options,
            initialState: initialState as tf.Tensor2D,
          });
          // Every output and the last state (what returnState gives), each weighted differently.
          const weight = (t: tf.Tensor, f: (a: tf.Tensor) => tf.Tensor): tf.Tensor =>
            tf.sum(tf.mul(t, tf.reshape(f(tf.range(0, t.size)), t.shape)));
          return tf.add(weight(output, tf.sin), weight(state, tf.cos));
        };
      const inputs = [x, kernel, recurrentKernel, bias, h0];
      await expectSameValueAndGradients(loss(true), loss(false), inputs, 2e-6);
      expect(wasmKernelMemory().pendingGradients).toBe(0);
      tf.dispose([...inputs, stepMask]);
    },
  );

  it('a sample masked at every step outputs its initial state and passes its gradient to it', () => {
    setThreads(1);
    const [batch, steps] = shape;
    const x = tensor(shape, 3);
    const weights = {
      kernel: tensor([shape[2], units], 4, 0.6) as tf.Tensor2D,
      recurrentKernel: tensor([units, units], 5, 0.6) as tf.Tensor2D,
      bias: tensor([units], 6, 0.5) as tf.Tensor1D,
    };
    const h0 = tensor([batch, units], 7) as tf.Tensor2D;
    // Sample 1 is masked at every step.
    const stepMask = stepMaskOf('a sample fully masked', shape, 8);
    const dy = tensor([batch, steps, units], 9);
    const options = { activation: 'tanh', goBackwards: false, returnSequences: true, stepMask };
    const f = (xs: tf.Tensor, initialState: tf.Tensor): tf.Tensor => {
      const out = wasmSimpleRnnSequence(xs as tf.Tensor3D, weights, {
        ...options,
        initialState: initialState as tf.Tensor2D,
      }).output;
      return tf.sum(tf.mul(out, dy));
    };
    tf.tidy(() => {
      const [dx, dh0] = tf.grads(f)([x, h0]);
      const output = wasmSimpleRnnSequence(x as tf.Tensor3D, weights, {
        ...options,
        initialState: h0,
      }).output;
      const sample = (t: tf.Tensor): tf.Tensor => tf.gather(t, [1]);
      const kept = tf.tile(tf.reshape(sample(h0), [1, 1, units]), [1, steps, 1]);
      expect(sample(output)).toBeAllClose(kept, 0);
      expect(sample(dx)).toBeAllClose(tf.zeros([1, steps, shape[2]]), 0);
      expect(sample(dh0)).toBeAllClose(tf.sum(sample(dy), 1), 1e-6);
    });
    tf.dispose([x, weights.kernel, weights.recurrentKernel, weights.bias, h0, stepMask, dy]);
  });

  it('wasmSimpleRnnStack with a Dense head in the op: the reference’s output and gradients', async () => {
    setThreads(1);
    const c: Case = {
      layers: [
        { kind: 'SimpleRNN', units: 6 },
        { kind: 'SimpleRNN', units: 4, goBackwards: true },
      ],
      mask: 'right-padded',
      returnSequences: false,
    };
    const x = tensor(shape, 7) as tf.Tensor3D;
    const { stack, weights, constants } = makeStack(c, shape, 30);
    const head = [tensor([4, 2], 11, 0.6), tensor([2], 12, 0.5)];
    const loss =
      (wasm: boolean) =>
      (...inputs: tf.Tensor[]): tf.Scalar => {
        const [xs, ...w] = inputs;
        const layers = withWeights(stack, w.slice(0, -2)).filter(isSimpleRnnLayer);
        const [kernel, bias] = w.slice(-2);
        const out = wasm
          ? wasmSimpleRnnStack(xs as tf.Tensor3D, layers, { kernel, bias })
          : tf.add(tf.matMul(reference(xs as tf.Tensor3D, layers) as tf.Tensor2D, kernel), bias);
        return tf.sum(tf.square(out));
      };
    await expectSameValueAndGradients(loss(true), loss(false), [x, ...weights, ...head], 2e-6);
    tf.dispose([x, ...weights, ...constants, ...head]);
  });
});

describe('step masks: errors', () => {
  const x = (): tf.Tensor3D => tf.zeros([2, 3, 2]);
  const gated = (stepMask: tf.Tensor2D): GatedStackLayer => ({
    kind: 'GRU',
    weights: { kernel: tf.zeros([2, 3]), recurrentKernel: tf.zeros([1, 3]), bias: null },
    options: {
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      resetAfter: true,
      goBackwards: false,
      returnSequences: false,
      stepMask,
    },
  });
  const simple = (stepMask: tf.Tensor2D): SimpleRnnStackLayer => ({
    weights: { kernel: tf.zeros([2, 1]), recurrentKernel: tf.zeros([1, 1]), bias: null },
    options: { activation: 'tanh', goBackwards: false, returnSequences: false, stepMask },
  });
  it.each([
    [
      'wasmGatedStack',
      [2, 4],
      (m: tf.Tensor2D) => wasmGatedStack(x(), [gated(m)]),
      /^GRU: expected stepMask of shape \[2, 3\], received \[2, 4\]\.$/,
    ],
    [
      'wasmGatedStack',
      [3, 3],
      (m: tf.Tensor2D) => wasmGatedStack(x(), [gated(m)]),
      /^GRU: expected stepMask of shape \[2, 3\], received \[3, 3\]\.$/,
    ],
    [
      'wasmSimpleRnnStack',
      [2, 1],
      (m: tf.Tensor2D) => wasmSimpleRnnStack(x(), [simple(m)]),
      /^wasmSimpleRnnStack: expected stepMask of shape \[2, 3\], received \[2, 1\]\.$/,
    ],
  ] as const)('%s refuses a step mask of shape %j, naming it', (_what, maskShape, run, message) => {
    tf.tidy(() => {
      expect(() => run(tf.ones([...maskShape]))).toThrow(message);
    });
  });
});
