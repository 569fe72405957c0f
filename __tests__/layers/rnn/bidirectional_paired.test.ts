/**
 * Bidirectional's two directions as one kernel op (both layers stackable, no states returned)
 * against its two layers applied one after the other (each its own kernel op, the backward
 * output flipped back, concatenated): the same output and gradients of x and every weight, bit
 * for bit, with and without a mask (a fully masked sample among them), returning sequences or
 * not, for LSTM, GRU, SimpleRNN and a StackedRNN, on 2 threads; nothing leaks and the kernels'
 * memory ends where it started. (Dropout in the op: __tests__/kernels/wasm/gated_stacks.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { setThreads, wasmKernelMemory } from '../../../src/kernels/wasm';
import { Bidirectional } from '../../../src/layers/rnn/bidirectional';
import { GRU, GRUCell } from '../../../src/layers/rnn/gru';
import { LSTM, LSTMCell } from '../../../src/layers/rnn/lstm';
import type { RNN } from '../../../src/layers/rnn/rnn';
import { SimpleRNN } from '../../../src/layers/rnn/simple_rnn';
import { StackedRNN } from '../../../src/layers/rnn/stacked_rnn';
import { pseudoRandomTensor as tensor } from '../../helpers/random_tensors';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

afterEach(() => {
  setThreads(undefined);
});

const CASES: [string, (returnSequences: boolean) => RNN][] = [
  ['LSTM', (returnSequences) => new LSTM({ units: 6, returnSequences })],
  ['GRU', (returnSequences) => new GRU({ units: 5, returnSequences })],
  ['SimpleRNN', (returnSequences) => new SimpleRNN({ units: 7, returnSequences })],
  [
    'StackedRNN (GRU -> LSTM)',
    (returnSequences) =>
      new StackedRNN({
        cells: [new GRUCell({ units: 5 }), new LSTMCell({ units: 4 })],
        returnSequences,
      }),
  ],
];

/** [batch, steps]: 1 at real steps, 0 at padding (at the end), sample 1 all padding. */
function maskOf(batch: number, steps: number): tf.Tensor2D {
  const values = Array.from({ length: batch * steps }, (_, k) => {
    const b = Math.floor(k / steps);
    const length = b === 1 ? 0 : 1 + ((b * 3) % steps);
    return k % steps < length;
  });
  return tf.tensor2d(values.map(Number), [batch, steps], 'bool');
}

/** A loss of an output, and its gradients of x (a variable) and every weight of `layer`. */
function run(layer: Bidirectional, x: tf.Variable, output: () => tf.Tensor): tf.Tensor[] {
  // Every trainable variable that reaches the loss: x and the layer's weights.
  const { value, grads } = tf.variableGrads(() => {
    const y = output();
    return tf.sum(tf.mul(tf.sin(y), tf.range(1, y.shape[y.rank - 1] + 1)));
  });
  const names = [x.name, ...layer.trainableWeights.map((w) => w.name)];
  expect(Object.keys(grads).sort()).toEqual([...names].sort());
  return [value, ...names.map((name) => grads[name])];
}

/** The two layers one after the other, as Bidirectional ran them before (mergeMode concat). */
function apart(layer: Bidirectional, x: tf.Tensor, mask: tf.Tensor | undefined): tf.Tensor {
  const kwargs = { training: true, ...(mask === undefined ? {} : { mask }) };
  const forward = layer.forwardLayer.apply(x, kwargs) as tf.Tensor;
  const backward = layer.backwardLayer.apply(x, kwargs) as tf.Tensor;
  return tf.concat([forward, layer.returnSequences ? tf.reverse(backward, 1) : backward], -1);
}

describe('Bidirectional in one kernel op', () => {
  const table = CASES.flatMap(([name, make]) =>
    [false, true].flatMap((returnSequences) =>
      [false, true].map(
        (masked) =>
          [
            `${name}, returnSequences ${returnSequences}, mask ${masked}`,
            make,
            returnSequences,
            masked,
          ] as const,
      ),
    ),
  );
  it.each(table)(
    '%s: the two layers’ output and gradients one after the other',
    async (_, make, returnSequences, masked) => {
      setThreads(2);
      const [batch, steps, features] = [21, 5, 3];
      const layer = new Bidirectional({ layer: make(returnSequences) });
      const x = tf.variable(tensor([batch, steps, features], 1));
      const mask = masked ? maskOf(batch, steps) : undefined;
      tf.dispose(layer.apply(x) as tf.Tensor);
      const paired = () =>
        layer.apply(x, { training: true, ...(mask === undefined ? {} : { mask }) });
      tf.dispose(run(layer, x, paired as () => tf.Tensor));
      const before = wasmKernelMemory();
      await expectNoLeak(() => {
        const ours = run(layer, x, paired as () => tf.Tensor);
        const reference = run(layer, x, () => apart(layer, x, mask));
        ours.forEach((t, i) => {
          expect(t).toBeAllClose(reference[i], 0);
        });
        tf.dispose([...ours, ...reference]);
      });
      const after = wasmKernelMemory();
      expect(after.blocksInUse).toBe(before.blocksInUse);
      expect(after.pendingGradients).toBe(0);
      tf.dispose([x, ...(mask === undefined ? [] : [mask])]);
      layer.dispose();
    },
  );
});
