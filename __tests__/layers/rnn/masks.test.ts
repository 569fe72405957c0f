/**
 * Keras masks in the recurrent layers: a padding step carries the state and repeats the output
 * (zeros with zeroOutputForMask), goBackwards reads the mask with the inputs, and a stack
 * passes the mask on unchanged as Keras does. Against the values of Keras's own tests and an
 * independent float64 reference.
 */
import * as tf from '@tensorflow/tfjs';
import { Masking } from '../../../src/layers/masking';
import { GRU } from '../../../src/layers/rnn/gru';
import { LSTM } from '../../../src/layers/rnn/lstm';
import { SimpleRNN, SimpleRNNCell } from '../../../src/layers/rnn/simple_rnn';
import { StackedRNN } from '../../../src/layers/rnn/stacked_rnn';
import { Sequential } from '../../../src/models/sequential';
import { pseudoRandom, referenceSimpleRnn, toMatrix } from '../../helpers/reference_rnn';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

const constant = (value: number): { className: string; config: { value: number } } => ({
  className: 'Constant',
  config: { value },
});
const CONSTANT_WEIGHTS = {
  kernelInitializer: constant(0.01),
  recurrentInitializer: constant(0.02),
  biasInitializer: constant(0.03),
};

describe("Keras's test_masking (keras/src/layers/rnn/*_test.py)", () => {
  const sequence = (): tf.Tensor3D => tf.reshape(tf.range(0, 24), [2, 4, 3]);
  const simpleMask = [
    [1, 1, 0, 1],
    [1, 0, 0, 1],
  ];
  const lstmMask = [
    [1, 1, 1, 0],
    [1, 1, 0, 0],
  ];
  it.each<[string, () => tf.layers.Layer, number[][], number[]]>([
    [
      'SimpleRNN, last output',
      () => new SimpleRNN({ units: 4, ...CONSTANT_WEIGHTS }),
      simpleMask,
      [...Array<number>(4).fill(0.32951632), ...Array<number>(4).fill(0.61799484)],
    ],
    [
      'SimpleRNN, returnSequences',
      () => new SimpleRNN({ units: 2, returnSequences: true, ...CONSTANT_WEIGHTS }),
      simpleMask,
      [
        0.0599281, 0.15122814, 0.15122814, 0.32394567, 0.3969304, 0.3969304, 0.3969304, 0.608085,
      ].flatMap((v) => [v, v]),
    ],
    [
      'SimpleRNN, zeroOutputForMask',
      () =>
        new SimpleRNN({
          units: 2,
          returnSequences: true,
          zeroOutputForMask: true,
          ...CONSTANT_WEIGHTS,
        }),
      simpleMask,
      [0.0599281, 0.15122814, 0, 0.32394567, 0.3969304, 0, 0, 0.608085].flatMap((v) => [v, v]),
    ],
    [
      'SimpleRNN, goBackwards',
      () => new SimpleRNN({ units: 4, goBackwards: true, ...CONSTANT_WEIGHTS }),
      simpleMask,
      [...Array<number>(4).fill(0.07376196), ...Array<number>(4).fill(0.43645123)],
    ],
    [
      'LSTM, last output',
      () => new LSTM({ units: 2, ...CONSTANT_WEIGHTS }),
      lstmMask,
      [0.11755939, 0.11755939, 0.28556206, 0.28556206],
    ],
    [
      'LSTM, returnSequences',
      () => new LSTM({ units: 2, returnSequences: true, ...CONSTANT_WEIGHTS }),
      lstmMask,
      [
        0.0158891, 0.05552048, 0.11755939, 0.11755939, 0.14185596, 0.28556206, 0.28556206,
        0.28556206,
      ].flatMap((v) => [v, v]),
    ],
  ])('%s', async (_name, makeLayer, maskValues, expected) => {
    const x = sequence();
    const mask = tf.tensor2d(maskValues, [2, 4], 'bool');
    const layer = makeLayer();
    tf.dispose(layer.apply(x) as tf.Tensor); // builds the weights
    await expectNoLeak(() => {
      const y = layer.apply(x, { mask }) as tf.Tensor;
      expect(Array.from(y.dataSync())).toBeAllClose(expected, 1e-5);
      y.dispose();
    });
    tf.dispose([x, mask]);
    layer.dispose();
  });
});

describe('masked steps against a float64 reference', () => {
  const [batch, steps, features, units] = [3, 5, 2, 3];
  const xValues = pseudoRandom(batch * steps * features, 7);
  const x3 = Array.from({ length: batch }, (_, b) =>
    toMatrix(xValues.slice(b * steps * features, (b + 1) * steps * features), steps, features),
  );
  // Right-padded, left-padded, and a fully masked sample.
  const mask = [
    [1, 1, 1, 0, 0],
    [0, 0, 1, 1, 1],
    [0, 0, 0, 0, 0],
  ];
  /** A SimpleRNN cell's weights from seeds: as matrices, and as tensors when asked. */
  function weightsOf(
    inputs: number,
    seed: number,
  ): { tensors: () => tf.Tensor[]; w: [number[][], number[][], number[]] } {
    const kernel = pseudoRandom(inputs * units, seed, 0.8);
    const recurrent = pseudoRandom(units * units, seed + 1, 0.8);
    const bias = pseudoRandom(units, seed + 2, 0.3);
    return {
      tensors: () => [
        tf.tensor2d(kernel, [inputs, units]),
        tf.tensor2d(recurrent, [units, units]),
        tf.tensor1d(bias),
      ],
      w: [toMatrix(kernel, inputs, units), toMatrix(recurrent, units, units), bias],
    };
  }
  const first = weightsOf(features, 11);
  const second = weightsOf(units, 21);
  const flat = (v: number[][][]): number[] => v.flat(2);

  it.each([false, true])(
    'two SimpleRNN layers in a model pass the mask on unchanged (goBackwards on the first: %s)',
    async (goBackwards) => {
      // Keras passes a layer's input mask on as it came, even after goBackwards: the second
      // layer reads the reversed sequence with the mask in input order.
      const h1 = referenceSimpleRnn(x3, ...first.w, 'tanh', goBackwards, mask);
      const h2 = referenceSimpleRnn(h1, ...second.w, 'tanh', false, mask);
      const model = new Sequential([
        new Masking({ inputShape: [steps, features], maskValue: 99 }),
        new SimpleRNN({ units, returnSequences: true, goBackwards }),
        new SimpleRNN({ units, returnSequences: true }),
      ]);
      const weights = [first.tensors(), second.tensors()];
      model.layers[1]?.setWeights(weights[0] ?? []);
      model.layers[2]?.setWeights(weights[1] ?? []);
      tf.dispose(weights.flat());
      // Padding steps hold the mask value; the reference reads only the others.
      const padded = tf.tidy(() =>
        tf.where(
          tf.cast(tf.expandDims(tf.tensor2d(mask), 2), 'bool'),
          tf.tensor3d(x3),
          tf.fill([batch, steps, features], 99),
        ),
      );
      await expectNoLeak(() => {
        const y = model.predict(padded);
        expect(Array.from(y.dataSync())).toBeAllClose(flat(h2), 1e-5);
        y.dispose();
      });
      padded.dispose();
      model.dispose();
    },
  );

  it('a StackedRNN with goBackwards gives its later cells the mask in their reading order', async () => {
    const h1 = referenceSimpleRnn(x3, ...first.w, 'tanh', true, mask);
    const reversed = mask.map((row) => [...row].reverse());
    const h2 = referenceSimpleRnn(h1, ...second.w, 'tanh', false, reversed);
    const layer = new StackedRNN({
      cells: [new SimpleRNNCell({ units }), new SimpleRNNCell({ units })],
      returnSequences: true,
      goBackwards: true,
    });
    const x = tf.tensor3d(x3);
    const m = tf.tensor2d(mask, [batch, steps], 'bool');
    tf.dispose(layer.apply(x) as tf.Tensor); // builds the weights
    const weights = [...first.tensors(), ...second.tensors()];
    layer.setWeights(weights);
    tf.dispose(weights);
    await expectNoLeak(() => {
      const y = layer.apply(x, { mask: m }) as tf.Tensor;
      expect(Array.from(y.dataSync())).toBeAllClose(flat(h2), 1e-5);
      y.dispose();
    });
    tf.dispose([x, m]);
    layer.dispose();
  });

  it.each<[string, (args: { units: number; returnSequences: boolean }) => tf.layers.Layer]>([
    ['SimpleRNN', (args) => new SimpleRNN(args)],
    ['LSTM', (args) => new LSTM(args)],
    ['GRU', (args) => new GRU(args)],
  ])('%s: a padded tail leaves the last output of the unpadded prefix', async (_kind, make) => {
    const layer = make({ units, returnSequences: false });
    const x = tf.tensor3d(x3);
    const m = tf.tensor2d([[1, 1, 1, 0, 0]], [1, steps], 'bool');
    const one = tf.slice(x, [0, 0, 0], [1, steps, features]);
    const prefix = tf.slice(x, [0, 0, 0], [1, 3, features]);
    tf.dispose(layer.apply(prefix) as tf.Tensor); // builds the weights
    await expectNoLeak(() => {
      const masked = layer.apply(one, { mask: m }) as tf.Tensor;
      const short = layer.apply(prefix) as tf.Tensor;
      expect(masked).toBeAllClose(short, 1e-6);
      tf.dispose([masked, short]);
    });
    tf.dispose([x, m, one, prefix]);
    layer.dispose();
  });
});

describe('masks reaching recurrent layers by tfjs', () => {
  it("takes the mask of tfjs's own Masking layer in a plain tf.sequential", async () => {
    const layer = new SimpleRNN({ units: 2, ...CONSTANT_WEIGHTS });
    const model = tf.sequential({
      layers: [tf.layers.masking({ maskValue: 0, inputShape: [3, 2] }), layer],
    });
    const x = tf.tensor3d([
      [
        [1, 2],
        [0, 0],
        [3, 4],
      ],
    ]);
    const unpadded = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
      ],
    ]);
    const fresh = new SimpleRNN({ units: 2, ...CONSTANT_WEIGHTS });
    tf.dispose([model.predict(x), fresh.apply(unpadded) as tf.Tensor]);
    await expectNoLeak(() => {
      const y = model.predict(x) as tf.Tensor;
      const expected = fresh.apply(unpadded) as tf.Tensor;
      expect(y).toBeAllClose(expected, 1e-6);
      tf.dispose([y, expected]);
    });
    tf.dispose([x, unpadded]);
    model.dispose();
    fresh.dispose();
  });

  it('refuses a mask of the wrong shape, naming both shapes', async () => {
    const layer = new SimpleRNN({ units: 2 });
    const x = tf.ones([2, 4, 3]);
    const mask = tf.ones([2, 3], 'bool');
    await expectNoLeak(() => {
      expect(() => layer.apply(x, { mask })).toThrow(
        /SimpleRNN 'simple_rnn(_\d+)?': expected a mask of shape \[2, 4\] \(the input's shape \[2, 4, 3\] without its last axis\), received \[2, 3\]/,
      );
    });
    tf.dispose([x, mask]);
  });
});
