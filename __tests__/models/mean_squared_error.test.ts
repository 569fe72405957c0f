import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { expectSameLossAndGradient, expectScaledLossAndGradient } from '../helpers/loss_ops';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import { getLoss } from '../../src/models/losses';
import { meanSquaredErrorLoss } from '../../src/models/mean_squared_error';

beforeAll(async () => {
  await useTestBackend();
});

/** Deterministic values in [-2, 2). */
function values(n: number, seed: number): Float32Array {
  let a = seed;
  return Float32Array.from({ length: n }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return (a / 2147483648) * 4 - 2;
  });
}

/** The loss and its gradient by yPred (times `scale`, the gradient flowing in), in float64. */
function reference(t: Float32Array, p: Float32Array, scale: number): [number, number[]] {
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += (t[i] - p[i]) ** 2;
  return [sum / p.length, Array.from(p, (pi, i) => (scale * 2 * (pi - t[i])) / p.length)];
}

describe('meanSquaredErrorLoss: one op for Keras MSE reduced over the batch', () => {
  it.each([
    ['[64, 1] (the stock model)', [64, 1]],
    ['[3, 5]', [3, 5]],
    ['[2, 4, 3] (per step)', [2, 4, 3]],
    ['[1, 1]', [1, 1]],
  ])('value and gradient of %s against float64', async (_name, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = values(n, 7);
    const p = values(n, 11);
    const [want, wantGrad] = reference(t, p, 3);
    await expectNoLeak(() => {
      const yt = tf.tensor(t, shape);
      const yp = tf.tensor(p, shape);
      expectScaledLossAndGradient((x) => meanSquaredErrorLoss(yt, x), yp, want, wantGrad);
      tf.dispose([yt, yp]);
    });
  });

  it('the same value and gradient as the tfjs ops of Keras formula', async () => {
    const t = values(40, 3);
    const p = values(40, 5);
    await expectNoLeak(() => {
      const yt = tf.tensor2d(t, [8, 5]);
      const yp = tf.tensor2d(p, [8, 5]);
      expectSameLossAndGradient(
        (x) => meanSquaredErrorLoss(yt, x),
        (x) => tf.mean(tf.mean(tf.square(tf.sub(yt, x)), -1)),
        yp,
      );
      tf.dispose([yt, yp]);
    });
  });

  it('NaN and Inf in a prediction reach the loss and that element of the gradient', () => {
    tf.tidy(() => {
      const yt = tf.tensor2d([1, 2, 3], [3, 1]);
      const yp = tf.tensor2d([NaN, 2, Infinity], [3, 1]);
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => meanSquaredErrorLoss(yt, x))(yp);
      expect(value.dataSync()[0]).toBeNaN();
      const g = grad.dataSync();
      expect(g[0]).toBeNaN();
      expect(Math.abs(g[1])).toBe(0);
      expect(g[2]).toBe(Infinity);
    });
  });

  it('rejects different shapes and non-float32 tensors', () => {
    tf.tidy(() => {
      expect(() => meanSquaredErrorLoss(tf.zeros([2, 1]), tf.zeros([2]))).toThrow(
        'meanSquaredErrorLoss: yTrue and yPred differ in shape: [2, 1] and [2].',
      );
      expect(() => meanSquaredErrorLoss(tf.zeros([2], 'int32'), tf.zeros([2]))).toThrow(
        'meanSquaredErrorLoss: expected float32 tensors, received int32 and float32.',
      );
    });
  });

  it("is what getLoss('mse').compute runs: one kernel forward, whatever the label layout", async () => {
    const loss = getLoss('mse');
    const cases: [tf.Tensor, tf.Tensor][] = [
      [tf.tensor2d([1, 2], [2, 1]), tf.tensor2d([1.5, 1], [2, 1])],
      // Labels [2] against predictions [2, 1] (Keras squeezes), and int32 labels (cast).
      [tf.tensor1d([1, 2]), tf.tensor2d([1.5, 1], [2, 1])],
      [tf.tensor2d([1, 2], [2, 1], 'int32'), tf.tensor2d([1.5, 1], [2, 1])],
    ];
    for (const [yt, yp] of cases) {
      const info = await tf.profile(() => loss.compute(yt, yp));
      const names = info.kernels.map((k) => k.name);
      // One custom op (tfjs names it 'unnamed scope'); besides it, only reshapes and a cast.
      expect(
        names.filter((k) => !['Reshape', 'Cast', 'Squeeze', 'ExpandDims'].includes(k)),
      ).toEqual(['unnamed scope']);
      const value = tf.tidy(() => loss.compute(yt, yp));
      expect(value.dataSync()[0]).toBeCloseTo((0.25 + 1) / 2, 6);
      tf.dispose([value, info.result]);
    }
    tf.dispose(cases.flat());
  });
});
