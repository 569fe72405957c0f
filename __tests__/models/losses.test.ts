import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { useTestBackend } from '../helpers/tensors';
import { EPSILON, LOSS_NAMES, getLoss, sameRank } from '../../src/models/losses';

beforeAll(async () => {
  await useTestBackend();
});

function lossValue(
  name: Parameters<typeof getLoss>[0],
  yt: number[] | number[][] | number[][][],
  yp: number[][] | number[][][] | number[][][][],
): number {
  return tf.tidy(() => getLoss(name).compute(tf.tensor(yt), tf.tensor(yp)).dataSync()[0]);
}

const yTrue = [
  [0, 1, 0],
  [1, 0, 0],
];
const yPred = [
  [0.1, 0.7, 0.2],
  [0.0, 0.5, 0.5],
];

/** Mean over the last axis, then over the batch, computed in plain JavaScript. */
function meanOfRows(f: (t: number, p: number) => number): number {
  const rows = yTrue.map(
    (row, i) => row.reduce((s, t, j) => s + f(t, yPred[i]?.[j] ?? NaN), 0) / row.length,
  );
  return rows.reduce((a, b) => a + b, 0) / rows.length;
}

const clip = (p: number): number => Math.min(Math.max(p, EPSILON), 1 - EPSILON);

describe('losses: Keras 3 formulas', () => {
  // The literal values were printed by Keras 3.15 on the same arrays:
  //   keras.losses.get(name)(y_true, y_pred).numpy().mean()
  it.each([
    ['mse', 0.273333340883255, meanOfRows((t, p) => (t - p) ** 2)],
    ['mae', 0.4333333373069763, meanOfRows((t, p) => Math.abs(t - p))],
    [
      'msle',
      0.14633233845233917,
      meanOfRows(
        (t, p) => (Math.log(Math.max(p, EPSILON) + 1) - Math.log(Math.max(t, EPSILON) + 1)) ** 2,
      ),
    ],
    [
      'huber',
      0.1366666704416275,
      meanOfRows((t, p) => (Math.abs(p - t) <= 1 ? 0.5 * (p - t) ** 2 : Math.abs(p - t) - 0.5)),
    ],
    ['log_cosh', 0.1238684207201004, meanOfRows((t, p) => Math.log(Math.cosh(p - t)))],
    ['hinge', 1.100000023841858, meanOfRows((t, p) => Math.max(1 - (2 * t - 1) * p, 0))],
    [
      'squared_hinge',
      1.37333345413208,
      meanOfRows((t, p) => Math.max(1 - (2 * t - 1) * p, 0) ** 2),
    ],
    ['poisson', 3.0791282653808594, meanOfRows((t, p) => p - t * Math.log(p + EPSILON))],
    [
      'binary_crossentropy',
      3.03159499168396,
      meanOfRows((t, p) => -(t * Math.log(clip(p)) + (1 - t) * Math.log(1 - clip(p)))),
    ],
  ])('%s matches Keras and the formula computed by hand', (name, keras, byHand) => {
    expect(lossValue(name, yTrue, yPred)).toBeCloseTo(byHand, 5);
    expect(lossValue(name, yTrue, yPred)).toBeCloseTo(keras, 5);
  });

  it('mape matches Keras, whose denominator is max(|y|, 1e-7)', () => {
    // keras.losses.get('mape')(y_true, y_pred).numpy().mean() == 216666688.0
    expect(lossValue('mape', yTrue, yPred)).toBeAllClose(216666688.0, 0, 1e-5);
  });

  it('categorical_crossentropy normalizes by the sum, clips, then sums -t log p per sample', () => {
    const byHand = (-Math.log(0.7) + -Math.log(clip(0.0))) / 2; // rows already sum to 1
    expect(lossValue('categorical_crossentropy', yTrue, yPred)).toBeCloseTo(byHand, 4);
    // keras.losses.get('categorical_crossentropy')(y_true, y_pred).numpy().mean()
    expect(lossValue('categorical_crossentropy', yTrue, yPred)).toBeCloseTo(8.237384796142578, 4);
    // Unnormalized rows: [1, 3] -> [0.25, 0.75].
    expect(lossValue('categorical_crossentropy', [[0, 1]], [[1, 3]])).toBeCloseTo(
      -Math.log(0.75),
      6,
    );
  });

  it('kl_divergence and categorical_hinge match Keras', () => {
    expect(lossValue('kld', yTrue, yPred)).toBeCloseTo(8.237381935119629, 4);
    expect(lossValue('categorical_hinge', yTrue, yPred)).toBeCloseTo(1.0, 6);
  });

  it('options: label smoothing and the Huber delta match Keras', () => {
    // keras.losses.BinaryCrossentropy(label_smoothing=0.2)(y_true, y_pred)
    expect(
      lossValue({ name: 'binary_crossentropy', labelSmoothing: 0.2 }, yTrue, yPred),
    ).toBeCloseTo(2.8368070125579834, 4);
    // keras.losses.CategoricalCrossentropy(label_smoothing=0.2)(y_true, y_pred)
    expect(
      lossValue({ name: 'categorical_crossentropy', labelSmoothing: 0.2 }, yTrue, yPred),
    ).toBeCloseTo(7.315678119659424, 4);
    // keras.losses.Huber(delta=0.3)(y_true, y_pred)
    expect(lossValue({ name: 'huber', delta: 0.3 }, yTrue, yPred)).toBeCloseTo(
      0.08916667103767395,
      6,
    );
  });
});

describe('losses: reduction and shapes', () => {
  const labels = [
    [1, 0],
    [2, 2],
  ];
  const probs = [
    [
      [0.2, 0.8, 0.0],
      [0.0, 0.0, 1.0],
    ],
    [
      [0.3, 0.3, 0.4],
      [0.1, 0.1, 0.8],
    ],
  ];

  it('a per-step sparse crossentropy on [B, T] labels is the mean over B * T steps', () => {
    // Per step, Keras's TF backend: log(sum(clip(p))) - log(clip(p)[label]).
    const perStep = labels.flatMap((row, b) =>
      row.map((label, t) => {
        const p = (probs[b]?.[t] ?? []).map(clip);
        return Math.log(p.reduce((a, c) => a + c, 0)) - Math.log(p[label] ?? NaN);
      }),
    );
    const byHand = perStep.reduce((a, c) => a + c, 0) / 4;
    expect(lossValue('sparse_categorical_crossentropy', labels, probs)).toBeCloseTo(byHand, 5);
    // keras.losses.SparseCategoricalCrossentropy()(y, p) == 4.370168209075928
    expect(lossValue('sparse_categorical_crossentropy', labels, probs)).toBeCloseTo(
      4.370168209075928,
      4,
    );
  });

  it('clips probabilities: a zero probability for the true class costs -log(1e-7), not infinity', () => {
    const value = lossValue('sparse_categorical_crossentropy', [1], [[1, 0]]);
    expect(value).toBeCloseTo(-Math.log(EPSILON), 3);
    expect(lossValue('binary_crossentropy', [[1]], [[0]])).toBeCloseTo(-Math.log(EPSILON), 3);
  });

  it('labels [B, T, 1] read as [B, T]', () => {
    const expanded = labels.map((row) => row.map((l) => [l]));
    expect(lossValue('sparse_categorical_crossentropy', expanded, probs)).toBeCloseTo(
      lossValue('sparse_categorical_crossentropy', labels, probs),
      6,
    );
  });

  it('fromLogits: sparse, categorical and binary crossentropy match Keras', () => {
    const logits = [
      [
        [2.0, -1.0, 0.5],
        [0.0, 3.0, -2.0],
      ],
      [
        [1.0, 1.0, 1.0],
        [-3.0, 0.0, 4.0],
      ],
    ];
    const lse = (row: number[]): number => Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
    const byHand =
      labels
        .flatMap((row, b) =>
          row.map((label, t) => {
            const z = logits[b]?.[t] ?? [];
            return lse(z) - (z[label] ?? NaN);
          }),
        )
        .reduce((a, c) => a + c, 0) / 4;
    const sparse = { name: 'sparse_categorical_crossentropy', fromLogits: true };
    expect(lossValue(sparse, labels, logits)).toBeCloseTo(byHand, 5);
    // keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits)
    expect(lossValue(sparse, labels, logits)).toBeCloseTo(1.8534884452819824, 5);
    const flat = [
      [2.0, -1.0, 0.5],
      [0.0, 3.0, -2.0],
    ];
    expect(
      lossValue({ name: 'categorical_crossentropy', fromLogits: true }, yTrue, flat),
    ).toBeCloseTo(3.14814829826355, 5);
    expect(lossValue({ name: 'binary_crossentropy', fromLogits: true }, yTrue, flat)).toBeCloseTo(
      1.3804881572723389,
      5,
    );
  });

  it('y [B] against predictions [B, 1] is expanded, as Keras does', () => {
    // keras.losses.MeanSquaredError()([1, 2, 3], [[1.5], [2.0], [2.0]])
    expect(lossValue('mse', [1, 2, 3], [[1.5], [2.0], [2.0]])).toBeCloseTo(0.4166666567325592, 6);
    const [t, p] = sameRank(tf.zeros([3]), tf.zeros([3, 1]));
    expect(t.shape).toEqual([3, 1]);
    expect(p.shape).toEqual([3, 1]);
  });

  it('given logits of a final softmax, the crossentropies use them (as Keras TF does in fit)', () => {
    const z = tf.tensor2d([[40, 0, -40]]);
    const p = tf.softmax(z);
    const loss = getLoss('sparse_categorical_crossentropy');
    const fromProbs = loss.compute(tf.tensor1d([2]), p).dataSync()[0];
    const fromLogits = loss.compute(tf.tensor1d([2]), p, z).dataSync()[0];
    expect(fromProbs).toBeCloseTo(-Math.log(EPSILON), 2); // clipped
    expect(fromLogits).toBeCloseTo(80, 3); // exact
    // A regression loss ignores the logits.
    expect(
      getLoss('mse')
        .compute(tf.tensor2d([[0, 0, 0]]), p, z)
        .dataSync()[0],
    ).toBeCloseTo(1 / 3, 5);
  });

  it('a function loss is reduced to its mean', () => {
    const absSum = (t: tf.Tensor, p: tf.Tensor): tf.Tensor => tf.sum(tf.abs(tf.sub(t, p)), -1);
    const loss = getLoss(absSum);
    expect(loss.name).toBe('absSum');
    expect(
      loss
        .compute(
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
          tf.zeros([2, 2]),
        )
        .dataSync()[0],
    ).toBeCloseTo(5, 6);
  });
});

describe('losses: names', () => {
  it.each([
    ['mse', 'mean_squared_error'],
    ['MSE', 'mean_squared_error'],
    ['meanSquaredError', 'mean_squared_error'],
    ['MeanSquaredError', 'mean_squared_error'],
    ['mae', 'mean_absolute_error'],
    ['sparseCategoricalCrossentropy', 'sparse_categorical_crossentropy'],
    ['SparseCategoricalCrossentropy', 'sparse_categorical_crossentropy'],
    ['bce', 'binary_crossentropy'],
    ['kld', 'kl_divergence'],
    ['msle', 'mean_squared_logarithmic_error'],
    ['mape', 'mean_absolute_percentage_error'],
    ['logCosh', 'log_cosh'],
  ])('%s is %s', (name, canonical) => {
    expect(getLoss(name).kerasName).toBe(canonical);
    expect(getLoss(name).name).toBe(name);
  });

  it('lists the snake_case names and aliases', () => {
    expect(LOSS_NAMES).toEqual(
      expect.arrayContaining([
        'mse',
        'mean_squared_error',
        'sparse_categorical_crossentropy',
        'huber',
        'hinge',
      ]),
    );
  });

  it.each([
    [
      'an unknown name',
      'mean_squared_eror',
      /unknown loss "mean_squared_eror"\. Known losses: 'mean_squared_error'.*'mse'/,
    ],
    ['an unknown config name', { name: 'nope' }, /unknown loss "nope"/],
    [
      'fromLogits on a regression loss',
      { name: 'mse', fromLogits: true },
      /`fromLogits` applies to the crossentropy losses only, received it for 'mean_squared_error'/,
    ],
    [
      'a label smoothing above 1',
      { name: 'binary_crossentropy', labelSmoothing: 2 },
      /`labelSmoothing` to be a number in \[0, 1\], received 2/,
    ],
    [
      'a negative delta',
      { name: 'huber', delta: -1 },
      /`delta` to be a positive number, received -1/,
    ],
    ['a number', 3, /unknown loss 3/],
  ])('rejects %s', (_what, spec, message) => {
    expect(() => getLoss(spec as Parameters<typeof getLoss>[0])).toThrow(message);
  });
});
