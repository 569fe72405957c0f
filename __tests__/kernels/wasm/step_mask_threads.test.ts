/**
 * A masked stack's products run over each step's running rows only, gathered into scratch that
 * every share of the batch uses a part of (kernels-src/running_rows.ts). Whatever the threads and
 * whichever thread runs a share, the output and every gradient are the same bit for bit: on one
 * thread and on two, several times over, with input widths that differ from the layers' (the
 * scratch blocks' row strides differ) and many shares.
 */
import * as tf from '@tensorflow/tfjs';
import { type RecurrentStackLayer, recurrentStack } from '../../../src/kernels/recurrent_stack';
import { setThreads } from '../../../src/kernels/wasm';
import { pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { useTestBackend } from '../../helpers/tensors';
import { type Case, type Shape, makeStack, withWeights } from './step_mask_case';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => {
  setThreads(undefined);
});

const CASES: [string, Case][] = [
  [
    'LSTM -> GRU -> SimpleRNN, right-padded',
    {
      layers: [
        { kind: 'LSTM', units: 16 },
        { kind: 'GRU', units: 12, goBackwards: true },
        { kind: 'SimpleRNN', units: 8 },
      ],
      mask: 'right-padded',
      returnSequences: false,
    },
  ],
  [
    'LSTM, goBackwards, every step, random holes',
    {
      layers: [{ kind: 'LSTM', units: 12, goBackwards: true }],
      mask: 'random',
      returnSequences: true,
    },
  ],
];

/** The output and the gradients of x and every weight, as arrays. */
function valuesAndGradients(stack: RecurrentStackLayer[], inputs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const loss = (...args: tf.Tensor[]): tf.Scalar => {
      const [xs, ...w] = args;
      const out = recurrentStack(xs as tf.Tensor3D, withWeights(stack, w));
      return tf.sum(tf.mul(out, out));
    };
    const { value, grads } = tf.valueAndGrads(loss)(inputs);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe('step masks over the running rows, on any number of threads', () => {
  it.each(CASES)('%s: the same numbers on 1 thread and on 2', (_what, c) => {
    const shape: Shape = [64, 24, 20];
    const x = tensor(shape, 3);
    const { stack, weights, constants } = makeStack(c, shape, 31);
    setThreads(1);
    const one = valuesAndGradients(stack, [x, ...weights]);
    setThreads(2);
    for (let round = 0; round < 4; round++) {
      const two = valuesAndGradients(stack, [x, ...weights]);
      two.forEach((values, k) => {
        expect(Array.from(values)).toEqual(Array.from(one[k]));
      });
    }
    tf.dispose([x, ...weights, ...constants]);
  });
});
