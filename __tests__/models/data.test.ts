/**
 * Bad input to fit / evaluate / predict: a clear error before any work, and nothing changed
 * (no step taken, no tensor left behind).
 */
import * as tf from '@tensorflow/tfjs';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import { Dense, Embedding, SimpleRNN } from '../../src/index';
import { Sequential } from '../../src/models/sequential';
import type { FitArgs } from '../../src/models/fit_setup';

let regression: Sequential;
let classifier: Sequential;
let tokens: Sequential;

beforeAll(async () => {
  await useTestBackend();
  regression = new Sequential([
    new SimpleRNN({ units: 3, inputShape: [4, 2], name: 'rnn' }),
    new Dense({ units: 1 }),
  ]);
  regression.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
  classifier = new Sequential([
    new SimpleRNN({ units: 3, inputShape: [4, 2] }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  classifier.compile({
    optimizer: 'sgd',
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  tokens = new Sequential([
    new Embedding({ inputDim: 5, outputDim: 2, inputShape: [4], name: 'emb' }),
    new SimpleRNN({ units: 3 }),
    new Dense({ units: 5, activation: 'softmax' }),
  ]);
  tokens.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
});

afterAll(() => {
  regression.dispose();
  classifier.dispose();
  tokens.dispose();
});

const x = (n = 4): number[][][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: 4 }, (_, t) => [i / 10, t / 10]));
const y = (n = 4): number[][] => Array.from({ length: n }, (_, i) => [i]);

function withNaN(): number[][][] {
  const data = x();
  data[1][2][0] = Number.NaN;
  return data;
}

type Case = [string, () => [Sequential, unknown, unknown, FitArgs], RegExp];

const ragged = [
  [[1, 2]],
  [
    [1, 2],
    [3, 4],
  ],
];
const rank2 = [
  [1, 2],
  [3, 4],
];

const cases: Case[] = [
  [
    'x a string',
    () => [regression, 'hello', y(), {}],
    /Sequential\.fit: expected x to be a tf\.Tensor or a nested array of numbers, received string "hello"/,
  ],
  [
    'x ragged',
    () => [regression, ragged, y(2), {}],
    /expected x to be a rectangular nested array .* received length 2 at x\[1\]/,
  ],
  [
    'x holding a string',
    () => [regression, [[['a', 1]]], y(1), {}],
    /received string "a" at x\[0\]\[0\]\[0\]/,
  ],
  [
    'x a bool tensor',
    () => [regression, tf.tensor3d([[[true, false]]], [1, 1, 2], 'bool'), y(1), {}],
    /expected x to hold numbers \(float32 or int32\), received a bool tensor/,
  ],
  [
    'x of rank 2 for a recurrent first layer',
    () => [regression, rank2, y(2), {}],
    /Sequential\.fit: x for SimpleRNN 'rnn': expected input of rank 3 \[samples, timesteps, features\], received shape \[2, 2\]\. .*reshape to \[2, 1, 2\]/,
  ],
  [
    'x with 3 features for 2',
    () => [regression, tf.zeros([4, 4, 3]), y(), {}],
    /expected x of shape \[None, 4, 2\] \(the model's input; SimpleRNN 'rnn'\), received shape \[4, 4, 3\]: axis 2 \(features per step\) is 3, not 2/,
  ],
  ['x with 5 steps for 4', () => [regression, tf.zeros([4, 5, 2]), y(), {}], /axis 1 is 5, not 4/],
  [
    'no samples',
    () => [regression, tf.zeros([0, 4, 2]), tf.zeros([0, 1]), {}],
    /expected x to hold at least one sample on its first axis, received shape \[0, 4, 2\]/,
  ],
  [
    'x and y sample counts that differ',
    () => [regression, x(4), y(3), {}],
    /expected x and y to hold the same number of samples, received 4 in x \(shape \[4, 4, 2\]\) and 3 in y \(shape \[3, 1\]\)/,
  ],
  [
    'y of the wrong shape for the loss',
    () => [regression, x(), tf.zeros([4, 2]), {}],
    /the loss 'mse' expects y of the model's output shape \[None, 1\], received shape \[4, 2\]/,
  ],
  [
    'sparse labels out of range',
    () => [classifier, x(), [0, 1, 3, 2], {}],
    /expected y to hold integer indices in \[0, 3\) for the loss 'sparse_categorical_crossentropy' \(the model outputs 3 classes\), received 3 in sample 2/,
  ],
  [
    'sparse labels that are not integers',
    () => [classifier, x(), [0, 1.5, 2, 2], {}],
    /received 1\.5 in sample 1/,
  ],
  ['negative sparse labels', () => [classifier, x(), [0, -1, 2, 2], {}], /received -1 in sample 1/],
  [
    'one-hot y for the sparse loss',
    () => [classifier, x(), tf.oneHot([0, 1, 2, 0], 3), {}],
    /expects y to hold one class index per prediction, shape \[None\] .*received shape \[4, 3\]\. For one-hot y, use 'categorical_crossentropy'/,
  ],
  [
    'NaN in x',
    () => [regression, withNaN(), y(), {}],
    /expected x to hold finite numbers, received NaN in sample 1 \(flat index 12\)/,
  ],
  [
    'infinity in y',
    () => [regression, x(), [[0], [1], [Infinity], [3]], {}],
    /expected y to hold finite numbers, received Infinity in sample 2/,
  ],
  [
    'Embedding indices out of range',
    () => [tokens, [[0, 1, 2, 5]], [0], {}],
    /expected x to hold integer indices in \[0, 5\) for Embedding 'emb' \(inputDim 5\), received 5 in sample 0 \(flat index 3\)/,
  ],
  [
    'batchSize 0',
    () => [regression, x(), y(), { batchSize: 0 }],
    /expected `batchSize` to be a positive integer, received 0/,
  ],
  [
    'batchSize 1.5',
    () => [regression, x(), y(), { batchSize: 1.5 }],
    /expected `batchSize` to be a positive integer, received 1\.5/,
  ],
  [
    'epochs 0',
    () => [regression, x(), y(), { epochs: 0 }],
    /expected `epochs` to be a positive integer, received 0/,
  ],
  [
    'validationSplit 1',
    () => [regression, x(), y(), { validationSplit: 1 }],
    /expected `validationSplit` to be a number in \[0, 1\), received 1/,
  ],
  [
    'validationSplit -0.1',
    () => [regression, x(), y(), { validationSplit: -0.1 }],
    /expected `validationSplit` to be a number in \[0, 1\), received -0\.1/,
  ],
  [
    'a validationSplit that leaves no validation sample',
    () => [regression, x(1), y(1), { validationSplit: 0.5 }],
    /1 samples are too few for validationSplit 0\.5: it leaves 0 for training and 1 for validation/,
  ],
  [
    'verbose 3',
    () => [regression, x(), y(), { verbose: 3 as 1 }],
    /expected `verbose` to be 0 \(silent\), 1 \(progress bar\) or 2 \(one line per epoch\), received 3/,
  ],
  [
    'initialEpoch -1',
    () => [regression, x(), y(), { initialEpoch: -1 }],
    /expected `initialEpoch` to be a non-negative integer, received -1/,
  ],
  [
    'shuffle "yes"',
    () => [regression, x(), y(), { shuffle: 'yes' as unknown as boolean }],
    /expected `shuffle` to be true or false, received "yes"/,
  ],
  [
    'a callback that is not an object',
    () => [regression, x(), y(), { callbacks: [5 as unknown as object] }],
    /expected `callbacks` to be an object with onEpochEnd, onBatchEnd, \.\.\. methods/,
  ],
  [
    'validationData not a pair',
    () => [regression, x(), y(), { validationData: [x()] as unknown as [number[], number[]] }],
    /expected `validationData` to be \[xVal, yVal\], received a list of 1/,
  ],
  [
    'validationData with the wrong features',
    () => [regression, x(), y(), { validationData: [tf.zeros([2, 4, 3]), y(2)] }],
    /Sequential\.fit \(validationData\): expected x of shape \[None, 4, 2\]/,
  ],
];

describe('fit: bad input is an error before any work', () => {
  it.each(cases)('rejects %s', async (_what, make, message) => {
    const [m, xs, ys, args] = make();
    const before = m.getWeights();
    await expectNoLeak(async () => {
      await expect(m.fit(xs as number[], ys as number[], { verbose: 0, ...args })).rejects.toThrow(
        message,
      );
    });
    m.getWeights().forEach((w, i) => {
      expect(w).toBeAllClose(before[i] ?? tf.scalar(NaN), 0);
      w.dispose();
    });
    for (const w of before) w.dispose();
  });

  it('fit before compile says to compile', async () => {
    const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
    await expect(model.fit([[1, 2]], [[1]])).rejects.toThrow(
      /Sequential\.fit: the model 'sequential_\d+' must be compiled first: call model\.compile\(\{ optimizer: 'adam', loss: 'mse' \}\) .*before fit/,
    );
    await expect(model.evaluate([[1, 2]], [[1]])).rejects.toThrow(
      /must be compiled first.*before evaluate/,
    );
    model.dispose();
  });

  it('a model with no layers says so', () => {
    expect(() => new Sequential().predict([[1]])).toThrow(/has no layers; add\(\) some first/);
  });
});

describe('evaluate and predict check their input too', () => {
  it.each([
    [
      'evaluate',
      () => regression.evaluate(tf.zeros([2, 4]), y(2)),
      /Sequential\.evaluate: x for SimpleRNN 'rnn': expected input of rank 3/,
    ],
    [
      'evaluate',
      () => regression.evaluate(x(2), y(3)),
      /Sequential\.evaluate: expected x and y to hold the same number of samples/,
    ],
    [
      'evaluate',
      () => regression.evaluate(x(2), y(2), { batchSize: -1 }),
      /Sequential\.evaluate: expected `batchSize` to be a positive integer, received -1/,
    ],
    [
      'predict',
      () => Promise.resolve().then(() => regression.predict(tf.zeros([2, 4]))),
      /Sequential\.predict: x for SimpleRNN 'rnn': expected input of rank 3/,
    ],
    [
      'predict',
      () => Promise.resolve().then(() => regression.predict(x(2), { verbose: 5 as 0 })),
      /Sequential\.predict: expected `verbose` to be 0/,
    ],
  ])('%s rejects bad input', async (_method, run, message) => {
    await expect(run()).rejects.toThrow(message);
  });
});
