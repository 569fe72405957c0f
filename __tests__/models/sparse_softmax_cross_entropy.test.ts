import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { expectSameLossAndGradient, expectScaledLossAndGradient } from '../helpers/loss_ops';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import {
  getLoss,
  sparseCategoricalCrossentropyFromLogits,
  sparseCategoricalCrossentropyFromProbs,
} from '../../src/models/losses';
import { sparseSoftmaxCrossEntropyLoss } from '../../src/models/sparse_softmax_cross_entropy';

beforeAll(async () => {
  await useTestBackend();
});

/** Deterministic values in [-scale, scale). */
function values(n: number, seed: number, scale = 3): Float32Array {
  let a = seed;
  return Float32Array.from({ length: n }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return ((a / 2147483648) * 2 - 1) * scale;
  });
}

/** Labels in [0, classes). */
function labels(n: number, classes: number, seed: number): Int32Array {
  let a = seed;
  return Int32Array.from({ length: n }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a % classes;
  });
}

/** The mean loss and its gradient by the logits (times `scale`, the gradient flowing in), in float64. */
function reference(
  x: Float32Array,
  t: Int32Array,
  classes: number,
  scale: number,
): [number, number[]] {
  const rows = t.length;
  let total = 0;
  const grad: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * classes, (r + 1) * classes));
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    total += Math.log(sum) - (row[t[r]] - max);
    row.forEach((v, c) =>
      grad.push((scale * (Math.exp(v - max) / sum - (c === t[r] ? 1 : 0))) / rows),
    );
  }
  return [total / rows, grad];
}

describe('sparseSoftmaxCrossEntropyLoss: Keras sparse crossentropy on logits as one op', () => {
  it.each([
    ['[32, 5] (the letters model)', [32, 5]],
    ['[3, 7]', [3, 7]],
    ['[2, 4, 3] (per step)', [2, 4, 3]],
    ['[1, 1] (one class)', [1, 1]],
  ])('value and gradient of %s against float64', async (_name, shape) => {
    const classes = shape.at(-1) ?? 1;
    const n = shape.reduce((a, b) => a * b, 1);
    const x = values(n, 11);
    const t = labels(n / classes, classes, 7);
    const [want, wantGrad] = reference(x, t, classes, 3);
    await expectNoLeak(() => {
      const logits = tf.tensor(x, shape);
      const y = tf.tensor(t, shape.slice(0, -1), 'int32');
      expectScaledLossAndGradient(
        (l) => sparseSoftmaxCrossEntropyLoss(y, l),
        logits,
        want,
        wantGrad,
      );
      tf.dispose([logits, y]);
    });
  });

  it('the same value and gradient as the tfjs ops of the formula', async () => {
    const x = values(8 * 5, 3, 6);
    const t = labels(8, 5, 5);
    await expectNoLeak(() => {
      const logits = tf.tensor2d(x, [8, 5]);
      const y = tf.tensor1d(t, 'int32');
      expectSameLossAndGradient(
        (l) => sparseSoftmaxCrossEntropyLoss(y, l),
        (l) => tf.mean(sparseCategoricalCrossentropyFromLogits(y, l)),
        logits,
      );
      tf.dispose([logits, y]);
    });
  });

  it('NaN reaches the loss and its row of the gradient; a -Infinity logit adds nothing', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([NaN, 1, 2, -Infinity, 0, 1], [2, 3]);
      const y = tf.tensor1d([0, 2], 'int32');
      const { value, grad } = tf.valueAndGrad((l: tf.Tensor) =>
        sparseSoftmaxCrossEntropyLoss(y, l),
      )(logits);
      expect(value.dataSync()[0]).toBeNaN();
      const g = grad.dataSync();
      expect([g[0], g[1], g[2]].every(Number.isNaN)).toBe(true);
      // The second row: softmax of (-inf, 0, 1), less the one-hot of class 2, over 2 rows.
      const e = Math.exp(-1);
      expect(g[3]).toBe(0);
      expect(g[4]).toBeCloseTo(e / (1 + e) / 2, 6);
      expect(g[5]).toBeCloseTo((1 / (1 + e) - 1) / 2, 6);
    });
  });

  it('rejects labels out of range, shapes that do not match, and other dtypes', () => {
    tf.tidy(() => {
      const logits = tf.zeros([2, 3]);
      expect(() => sparseSoftmaxCrossEntropyLoss(tf.tensor1d([0, 3], 'int32'), logits)).toThrow(
        'sparseSoftmaxCrossEntropyLoss: label 3 of row 1 is outside the classes [0, 3) of the logits.',
      );
      expect(() => sparseSoftmaxCrossEntropyLoss(tf.tensor1d([-1, 0], 'int32'), logits)).toThrow(
        'label -1 of row 0',
      );
      expect(() =>
        sparseSoftmaxCrossEntropyLoss(tf.tensor2d([0, 1], [2, 1], 'int32'), logits),
      ).toThrow(
        'expected logits [..., classes] and labels of their shape without the last axis, received [2, 3] and [2, 1].',
      );
      expect(() => sparseSoftmaxCrossEntropyLoss(tf.tensor1d([0, 1]), logits)).toThrow(
        'expected float32 logits and int32 labels, received float32 and float32.',
      );
    });
  });

  it.each([
    ['logits of a final softmax', true],
    ['probabilities', false],
  ])(
    "is what getLoss('sparse_categorical_crossentropy').compute runs on %s, for three label layouts",
    async (_name, withLogits) => {
      const loss = getLoss('sparse_categorical_crossentropy');
      const x = tf.tensor2d(values(4 * 3, 9), [4, 3]);
      const p = tf.softmax(x);
      const layouts = [
        tf.tensor1d([0, 2, 1, 2]),
        tf.tensor2d([0, 2, 1, 2], [4, 1]),
        tf.tensor1d([0, 2, 1, 2], 'int32'),
      ];
      for (const y of layouts) {
        const info = await tf.profile(() => loss.compute(y, p, withLogits ? x : undefined));
        const names = info.kernels.map((k) => k.name);
        // One custom op (tfjs names it 'unnamed scope'); besides it only the labels' reshape
        // and cast, and for probabilities the clip and log that make their logits (the
        // tensorflow backend runs the clip as a minimum and a maximum).
        const preparation = ['Reshape', 'Cast', 'Squeeze'];
        if (!withLogits) preparation.push('ClipByValue', 'Minimum', 'Maximum', 'Log');
        expect(names.filter((k) => !preparation.includes(k))).toEqual(['unnamed scope']);
        if (!withLogits) expect(names).toContain('Log');
        const value = tf.tidy(() => loss.compute(y, p, withLogits ? x : undefined));
        const formula = tf.tidy(() =>
          tf.mean(
            withLogits
              ? sparseCategoricalCrossentropyFromLogits(y, x)
              : sparseCategoricalCrossentropyFromProbs(y, p),
          ),
        );
        expect(value.dataSync()[0]).toBeCloseTo(formula.dataSync()[0], 6);
        tf.dispose([value, formula, info.result]);
      }
      tf.dispose([x, p, ...layouts]);
    },
  );
});
