/**
 * Keras's step mask in the WebAssembly kernels (SimpleRNN, LSTM and GRU, alone and stacked in
 * any mix, through recurrentStack: the gated stack op, or the SimpleRNN stack op for SimpleRNN
 * layers alone) against the reference kernels step by step: the same output and the same
 * gradients of x and every weight, for masks padded on the right and on the left, random, with a
 * sample masked at every step, on one thread and split over several, leaking neither tensors
 * nor the kernels' memory.
 */
import * as tf from '@tensorflow/tfjs';
import { type RecurrentStackLayer, recurrentStack } from '../../../src/kernels/recurrent_stack';
import { setThreads, wasmKernelMemory } from '../../../src/kernels/wasm';
import { pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { expectSameValueAndGradients } from '../../helpers/same_gradients';
import { useTestBackend } from '../../helpers/tensors';
import {
  type Case,
  type MaskShape,
  type Shape,
  makeStack,
  reference,
  withWeights,
} from './step_mask_case';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => {
  setThreads(undefined);
});

const MASKS: MaskShape[] = ['right-padded', 'left-padded', 'random', 'a sample fully masked'];

/** One layer of every kind, each mask shape, with and without returnSequences and goBackwards. */
const ONE_LAYER: [string, Case][] = (['LSTM', 'GRU', 'GRU-before', 'SimpleRNN'] as const).flatMap(
  (kind) =>
    MASKS.map((mask, i): [string, Case] => {
      const goBackwards = i % 2 === 1;
      const returnSequences = i < 2;
      const what = `${returnSequences ? 'every step' : 'last step'}${goBackwards ? ', goBackwards' : ''}`;
      return [
        `${kind}, ${mask}, ${what}`,
        { layers: [{ kind, units: 5, goBackwards }], mask, returnSequences },
      ];
    }),
);

const STACKS: [string, Case][] = [
  [
    'LSTM -> GRU -> SimpleRNN sharing a mask, a Dropout between',
    {
      layers: [
        { kind: 'LSTM', units: 6, dropout: true },
        { kind: 'GRU', units: 5 },
        { kind: 'SimpleRNN', units: 4 },
      ],
      mask: 'right-padded',
      returnSequences: false,
    },
  ],
  [
    'GRU (reset before, goBackwards) -> LSTM, every step',
    {
      layers: [
        { kind: 'GRU-before', units: 5, goBackwards: true },
        { kind: 'LSTM', units: 3 },
      ],
      mask: 'a sample fully masked',
      returnSequences: true,
    },
  ],
  [
    'SimpleRNN -> SimpleRNN (the SimpleRNN stack op), goBackwards second',
    {
      layers: [
        { kind: 'SimpleRNN', units: 6, dropout: true },
        { kind: 'SimpleRNN', units: 4, goBackwards: true },
      ],
      mask: 'left-padded',
      returnSequences: false,
    },
  ],
  [
    'implementation 1 (dropout masks per gate) with a step mask: GRU -> LSTM -> SimpleRNN',
    {
      layers: [
        { kind: 'GRU', units: 5, implementation1: true },
        { kind: 'LSTM', units: 4, implementation1: true, goBackwards: true },
        { kind: 'SimpleRNN', units: 3, implementation1: true },
      ],
      mask: 'random',
      returnSequences: true,
    },
  ],
  [
    'GRU (reset before), implementation 1, alone',
    {
      layers: [{ kind: 'GRU-before', units: 5, implementation1: true }],
      mask: 'right-padded',
      returnSequences: false,
    },
  ],
  [
    'layers with masks of their own and without one',
    {
      layers: [
        { kind: 'LSTM', units: 5, stepMask: 'own' },
        { kind: 'GRU', units: 4, stepMask: 'none' },
        { kind: 'SimpleRNN', units: 3 },
      ],
      mask: 'left-padded',
      returnSequences: true,
    },
  ],
  [
    'LSTM -> GRU -> SimpleRNN, 64 samples split over 2 threads',
    {
      layers: [
        { kind: 'LSTM', units: 36 },
        { kind: 'GRU', units: 20, goBackwards: true },
        { kind: 'SimpleRNN', units: 9 },
      ],
      mask: 'random',
      returnSequences: false,
      shape: [64, 8, 20],
      threads: 2,
    },
  ],
  [
    'SimpleRNN stack, 64 samples split over 2 threads, every step',
    {
      layers: [
        { kind: 'SimpleRNN', units: 40 },
        { kind: 'SimpleRNN', units: 30 },
      ],
      mask: 'right-padded',
      returnSequences: true,
      shape: [64, 8, 20],
      threads: 2,
    },
  ],
];

describe('step masks in the kernel stacks (recurrentStack)', () => {
  it.each([...ONE_LAYER, ...STACKS])(
    '%s: the reference’s output and gradients',
    async (_what, c) => {
      setThreads(c.threads ?? 1);
      const shape: Shape = c.shape ?? [5, 6, 3];
      const x = tensor(shape, 7) as tf.Tensor3D;
      const { stack, weights, constants } = makeStack(c, shape, 20);
      const last = c.layers[c.layers.length - 1].units;
      const target = tensor(c.returnSequences ? [shape[0], shape[1], last] : [shape[0], last], 9);
      const loss =
        (run: (x: tf.Tensor3D, layers: RecurrentStackLayer[]) => tf.Tensor) =>
        (...inputs: tf.Tensor[]): tf.Scalar => {
          const [xs, ...w] = inputs;
          const out = run(xs as tf.Tensor3D, withWeights(stack, w));
          return tf.mean(tf.square(tf.sub(out, target)));
        };
      const ours = loss((xs, layers) => recurrentStack(xs, layers));
      // A first gradient starts the worker pool for this thread count (blocks of its own).
      tf.dispose(tf.grads(ours)([x, ...weights]));
      const before = wasmKernelMemory().blocksInUse;
      await expectSameValueAndGradients(ours, loss(reference), [x, ...weights], 2e-6);
      expect(wasmKernelMemory().blocksInUse).toBe(before);
      expect(wasmKernelMemory().pendingGradients).toBe(0);
      tf.dispose([x, target, ...weights, ...constants]);
    },
  );
});
