import * as tf from '@tensorflow/tfjs';
import { useTestBackend } from '../helpers/tensors';
import { accuracyKind, checkMetricSpecs, getMetric } from '../../src/models/metrics';

beforeAll(async () => {
  await useTestBackend();
});

function meanOf(name: string, yt: tf.Tensor, yp: tf.Tensor): number {
  return tf.tidy(() => {
    const metric = getMetric(name, yt.shape, yp.shape);
    const mean = tf.mean(metric.values(yt, yp)).dataSync()[0];
    return metric.finalize === undefined ? mean : metric.finalize(mean);
  });
}

describe('metrics', () => {
  it.each([
    // Keras's compile_utils.is_binary_or_sparse_categorical, by shapes.
    [[8, 1], [null, 1], 'binary_accuracy'],
    [[8], [null, 1], 'binary_accuracy'],
    [[8], [null, 5], 'sparse_categorical_accuracy'],
    [[8, 1], [null, 5], 'sparse_categorical_accuracy'],
    [[8, 4], [null, 4, 5], 'sparse_categorical_accuracy'],
    [[8, 5], [null, 5], 'categorical_accuracy'],
  ])('accuracy for y %j and output %j is %s', (y, out, kind) => {
    expect(accuracyKind(y, out)).toBe(kind);
  });

  it('computes binary, sparse and categorical accuracy', () => {
    const binary = meanOf(
      'acc',
      tf.tensor2d([[1], [0], [1], [0]]),
      tf.tensor2d([[0.9], [0.2], [0.4], [0.6]]),
    );
    expect(binary).toBeCloseTo(0.5, 6);
    const probs = tf.tensor2d([
      [0.1, 0.8, 0.1],
      [0.6, 0.3, 0.1],
      [0.2, 0.3, 0.5],
    ]);
    expect(meanOf('accuracy', tf.tensor1d([1, 0, 0]), probs)).toBeCloseTo(2 / 3, 6);
    expect(
      meanOf(
        'accuracy',
        tf.tensor2d([
          [0, 1, 0],
          [1, 0, 0],
          [1, 0, 0],
        ]),
        probs,
      ),
    ).toBeCloseTo(2 / 3, 6);
    expect(meanOf('sparse_categorical_accuracy', tf.tensor2d([[1], [0], [2]]), probs)).toBeCloseTo(
      1,
      6,
    );
  });

  it('sparse accuracy: the first of equal maxima, labels truncated, per step, as the tfjs ops give', async () => {
    const probs = tf.tensor2d([
      [0.4, 0.4, 0.2],
      [0.1, 0.3, 0.3],
      [0.2, 0.3, 0.5],
      [0.5, 0.2, 0.3],
    ]);
    // Ties go to the first maximum (0, then 1); 2.9 is label 2.
    expect(meanOf('sparse_categorical_accuracy', tf.tensor1d([0, 1, 2.9, 1]), probs)).toBe(0.75);
    const values = (t: tf.Tensor, p: tf.Tensor): Float32Array =>
      tf.tidy(
        () => getMetric('accuracy', t.shape, p.shape).values(t, p).dataSync() as Float32Array,
      );
    const formula = (t: tf.Tensor, p: tf.Tensor): Float32Array =>
      tf.tidy(
        () =>
          tf
            .cast(tf.equal(tf.cast(t, 'int32'), tf.argMax(p, -1)), 'float32')
            .dataSync() as Float32Array,
      );
    // [batch, steps, classes] against [batch, steps]: every step's values.
    const seq = tf.randomUniform([6, 4, 5], 0, 1, 'float32', 3);
    const labels = tf.randomUniform([6, 4], 0, 5, 'int32', 4);
    expect(Array.from(values(labels, seq))).toEqual(Array.from(formula(labels, seq)));
    const info = await tf.profile(() =>
      getMetric('accuracy', labels.shape, seq.shape).values(labels, seq),
    );
    expect(info.kernels.map((k) => k.name)).not.toContain('ArgMax');
    tf.dispose([probs, seq, labels, info.result]);
  });

  it('computes RMSE as the square root of the mean squared error, and loss names as metrics', () => {
    const t = tf.tensor2d([[1], [2], [3], [4]]);
    const p = tf.tensor2d([[1], [2], [3], [6]]);
    expect(meanOf('root_mean_squared_error', t, p)).toBeCloseTo(1, 6);
    expect(meanOf('mae', t, p)).toBeCloseTo(0.5, 6);
    expect(meanOf('mse', t, p)).toBeCloseTo(1, 6);
  });

  it('names a function metric after the function', () => {
    const maxError = (t: tf.Tensor, p: tf.Tensor): tf.Tensor => tf.max(tf.abs(tf.sub(t, p)), -1);
    expect(getMetric(maxError, [4, 1], [null, 1]).name).toBe('maxError');
  });

  it.each([
    [
      'an unknown name',
      ['accuracy', 'f1'],
      /unknown metric "f1"\. Known metrics: 'accuracy', 'acc', 'binary_accuracy'/,
    ],
    ['a number', [3], /unknown metric 3/],
  ])('rejects %s', (_what, specs, message) => {
    expect(() => {
      checkMetricSpecs('compile', specs as string[]);
    }).toThrow(message);
  });
});
