/**
 * Keras's mask through a Sequential model: which layers take it, and the loss and metrics
 * reduced over the steps it keeps (Keras 3 weights them by it).
 */
import * as tf from '@tensorflow/tfjs';
import { Dense, Embedding, Masking, SimpleRNN } from '../../src/index';
import { Sequential } from '../../src/models/sequential';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

/** Embedding(maskZero) -> SimpleRNN(returnSequences) -> Dense(1) per step, fixed weights. */
function taggerModel(): Sequential {
  const model = new Sequential([
    new Embedding({ inputDim: 4, outputDim: 2, maskZero: true, inputShape: [5] }),
    new SimpleRNN({ units: 3, returnSequences: true }),
    new Dense({ units: 1 }),
  ]);
  let k = 0;
  model.setWeights(
    model.getWeights().map((w) => {
      const values = Array.from({ length: w.size }, () => 0.6 * Math.sin(++k));
      w.dispose();
      return tf.tensor(values, w.shape);
    }),
  );
  return model;
}

const IDS = [
  [1, 2, 3, 0, 0],
  [0, 0, 3, 1, 2],
  [2, 0, 0, 0, 0],
  [3, 3, 1, 2, 1],
];
const TARGETS = IDS.map((row, b) => row.map((_, t) => [Math.cos(b + 2 * t)]));

describe('masks in a Sequential model', () => {
  it('averages the loss and a metric over the kept steps only, as Keras 3', async () => {
    const model = taggerModel();
    model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    const x = tf.tensor2d(IDS, [4, 5], 'int32');
    const y = tf.tensor3d(TARGETS);
    const predicted = model.predict(x);
    const p = predicted.arraySync() as number[][][];
    /** Squared and absolute errors summed over the kept steps of samples [from, to), and their count. */
    const errors = (from: number, to: number): [number, number, number] => {
      let [squared, absolute, kept] = [0, 0, 0];
      IDS.slice(from, to).forEach((row, i) => {
        row.forEach((id, t) => {
          if (id === 0) return;
          const d = (p[from + i]?.[t]?.[0] ?? 0) - (TARGETS[from + i]?.[t]?.[0] ?? 0);
          squared += d * d;
          absolute += Math.abs(d);
          kept++;
        });
      });
      return [squared, absolute, kept];
    };
    const [s1, a1, k1] = errors(0, 3);
    const [s2, a2, k2] = errors(3, 4);
    // Batches of 3 and 1 sequences: Keras weighs each batch's masked mean by the batch's size,
    // while the metric averages over the kept steps of the whole epoch.
    const [loss, mae] = (await expectNoLeak(() =>
      model.evaluate(x, y, { batchSize: 3, verbose: 0 }),
    )) as number[];
    expect(loss).toBeCloseTo((3 * (s1 / k1) + s2 / k2) / 4, 5);
    expect(mae).toBeCloseTo((a1 + a2) / (k1 + k2), 5);
    tf.dispose([x, y, predicted]);
    model.dispose();
  });

  it('trains with a mask without leaking tensors', async () => {
    const model = taggerModel();
    model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const x = tf.tensor2d(IDS, [4, 5], 'int32');
    const y = tf.tensor3d(TARGETS);
    await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
    const history = await expectNoLeak(() =>
      model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 }),
    );
    expect(history.history.loss).toHaveLength(2);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('a padding step does not change what a recurrent layer without returnSequences returns', () => {
    const model = new Sequential([
      new Masking({ inputShape: [null, 2] }),
      new SimpleRNN({ units: 2 }),
      new Dense({ units: 1 }),
    ]);
    const x = tf.tensor3d([
      [
        [1, 2],
        [0, 0],
        [3, 4],
      ],
      [
        [1, 2],
        [3, 4],
        [0, 0],
      ],
    ]);
    const y = model.predict(x);
    const direct = tf.tidy(() =>
      model.predict(
        tf.tensor3d([
          [
            [1, 2],
            [3, 4],
          ],
        ]),
      ),
    );
    const [only] = direct.dataSync();
    expect(Array.from(y.dataSync())).toBeAllClose([only, only], 1e-6);
    tf.dispose([x, y, direct]);
    model.dispose();
  });

  it('zeroOutputForMask before a Dense: a sample whose last step is padding gives the bias', () => {
    const model = new Sequential([
      new Masking({ inputShape: [3, 2] }),
      new SimpleRNN({ units: 2, zeroOutputForMask: true }),
      new Dense({ units: 1, biasInitializer: { className: 'Constant', config: { value: 0.25 } } }),
    ]);
    const x = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
        [0, 0],
      ],
    ]);
    const y = model.predict(x);
    expect(y).toBeAllClose([[0.25]], 1e-7);
    tf.dispose([x, y]);
    model.dispose();
  });

  it.each<[string, () => tf.layers.Layer[], RegExp]>([
    [
      'a tfjs Flatten after Embedding maskZero',
      () => [
        new Embedding({ inputDim: 4, outputDim: 2, maskZero: true, inputShape: [5], name: 'ids' }),
        tf.layers.flatten({ name: 'flat' }),
      ],
      /^Flatten 'flat' cannot take a mask, but Embedding 'ids' before it marks index 0 as padding \(maskZero: true\)/,
    ],
    [
      'a tfjs Flatten after Masking and a Dense',
      () => [
        new Masking({ inputShape: [5, 2], name: 'pad' }),
        new Dense({ units: 3 }),
        tf.layers.flatten({ name: 'flat2' }),
      ],
      /^Flatten 'flat2' cannot take a mask, but Masking 'pad' before it marks padding steps/,
    ],
  ])('refuses %s, naming both layers', (_case, layers, message) => {
    const all = layers();
    const last = all.pop();
    const model = new Sequential(all);
    expect(() => {
      model.add(last as tf.layers.Layer);
    }).toThrow(message);
    expect(model.layers).toHaveLength(all.length);
    model.dispose();
  });

  it('lets a layer without masks follow a recurrent layer that consumed the mask', () => {
    const model = new Sequential([
      new Embedding({ inputDim: 4, outputDim: 2, maskZero: true, inputShape: [5] }),
      new SimpleRNN({ units: 3 }),
      tf.layers.repeatVector({ n: 2 }),
    ]);
    expect(model.layers).toHaveLength(3);
    model.dispose();
  });
});
