/**
 * Keras's gradient clipping, applied before the update: `clipnorm` (per variable),
 * `globalClipnorm` (all variables together), `clipvalue` (per element); one at most.
 * SGD with learning rate 1 shows the clipped gradient as it is: w1 = w0 - g.
 */
import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { Adagrad, type KerasOptimizerArgs, SGD, kerasOptimizer } from '../../src/optimizers';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

/** One SGD(lr 1) step on variables starting at 0: the negated clipped gradients. */
function clippedBy(options: KerasOptimizerArgs, grads: number[][]): number[][] {
  const optimizer = new SGD({ learningRate: 1, ...options });
  const vars = grads.map((g) => tf.tidy(() => tf.variable(tf.zeros([g.length]))));
  try {
    tf.tidy(() => {
      const map: tf.NamedTensorMap = {};
      vars.forEach((v, i) => (map[v.name] = tf.tensor1d(grads[i] ?? [])));
      optimizer.applyGradients(map);
    });
    return vars.map((v) => Array.from(v.dataSync(), (x) => -x));
  } finally {
    tf.dispose(vars);
    optimizer.dispose();
  }
}

describe('clipnorm: each gradient rescaled to an L2 norm of at most clipnorm', () => {
  it('rescales [3, 4] (norm 5) to [0.6, 0.8] and leaves a small one alone', async () => {
    const got = await expectNoLeak(() =>
      clippedBy({ clipnorm: 1 }, [
        [3, 4],
        [0.3, 0.4],
      ]),
    );
    expect(got[0]).toBeAllClose([0.6, 0.8], 1e-6);
    expect(got[1]).toBeAllClose([0.3, 0.4], 1e-6);
  });

  it('leaves a zero gradient zero', () => {
    expect(clippedBy({ clipnorm: 1 }, [[0, 0]])[0]).toBeAllClose([0, 0], 0);
  });
});

describe('globalClipnorm: all gradients rescaled together', () => {
  it('scales [3, 4] and [0, 12] (global norm 13) by 1/13', async () => {
    const got = await expectNoLeak(() =>
      clippedBy({ globalClipnorm: 1 }, [
        [3, 4],
        [0, 12],
      ]),
    );
    expect(got[0]).toBeAllClose([3 / 13, 4 / 13], 1e-6);
    expect(got[1]).toBeAllClose([0, 12 / 13], 1e-6);
  });

  it('leaves gradients under the global norm alone', () => {
    expect(clippedBy({ globalClipnorm: 20 }, [[3, 4], [12]])).toEqual([
      [expect.closeTo(3, 6), expect.closeTo(4, 6)],
      [expect.closeTo(12, 6)],
    ]);
  });

  it('turns every gradient into NaN when the global norm is not finite, as Keras', () => {
    const got = clippedBy({ globalClipnorm: 1 }, [[Infinity, 1], [2]]);
    expect(got.flat().every((x) => Number.isNaN(x))).toBe(true);
  });
});

describe('clipvalue: each element clipped to [-clipvalue, clipvalue]', () => {
  it('clips [-2, 0.3, 0.7] to [-0.5, 0.3, 0.5]', async () => {
    const got = await expectNoLeak(() => clippedBy({ clipvalue: 0.5 }, [[-2, 0.3, 0.7]]));
    expect(got[0]).toBeAllClose([-0.5, 0.3, 0.5], 1e-6);
  });
});

it.each<[string, KerasOptimizerArgs]>([
  ['clipnorm', { clipnorm: 0 }],
  ['clipvalue', { clipvalue: 0 }],
  ['globalClipnorm', { globalClipnorm: 0 }],
  ['null', { clipnorm: null }],
])('%s 0 (or null) does not clip, as in Keras', (_name, options) => {
  expect(clippedBy(options, [[3, -4]])[0]).toBeAllClose([3, -4], 1e-6);
});

it('clips before the update rule: Adagrad sees the clipped gradient in its accumulator', () => {
  const run = (options: KerasOptimizerArgs, g: number): number => {
    const optimizer = new Adagrad({ learningRate: 0.1, ...options });
    const v = tf.tidy(() => tf.variable(tf.ones([1])));
    tf.tidy(() => {
      optimizer.applyGradients({ [v.name]: tf.tensor1d([g]) });
    });
    const w = v.dataSync()[0];
    v.dispose();
    optimizer.dispose();
    return w;
  };
  // acc = 0.1 + 0.5^2 either way: the clipped 3 is 0.5.
  expect(run({ clipvalue: 0.5 }, 3)).toBeCloseTo(run({}, 0.5), 7);
  expect(run({ clipnorm: 0.5 }, -3)).toBeCloseTo(run({}, -0.5), 7);
});

describe('only one clipping option, as in Keras', () => {
  it.each<[KerasOptimizerArgs, RegExp]>([
    [
      { clipnorm: 1, clipvalue: 0.5 },
      /^SGD: only one of `clipnorm`, `clipvalue` and `globalClipnorm` can be set, received clipnorm: 1, clipvalue: 0\.5\.$/,
    ],
    [{ clipnorm: 1, globalClipnorm: 2 }, /received clipnorm: 1, globalClipnorm: 2\./],
    [{ clipvalue: 0, globalClipnorm: 2 }, /received clipvalue: 0, globalClipnorm: 2\./],
  ])('rejects %j', (options, message) => {
    expect(() => new SGD(options)).toThrow(message);
  });

  it('rejects a Keras config with two of them', () => {
    expect(() => kerasOptimizer('Adam', { clipnorm: 1.0, global_clipnorm: 1.0 })).toThrow(
      /^kerasOptimizer: Adam: only one of `clipnorm`, `clipvalue` and `globalClipnorm` can be set/,
    );
  });

  it.each<[KerasOptimizerArgs, RegExp]>([
    [{ clipnorm: -1 }, /^SGD: expected `clipnorm` to be a number >= 0 or null, received -1\.$/],
    [{ clipvalue: Number.NaN }, /expected `clipvalue` to be a number >= 0 or null, received NaN/],
    [
      { globalClipnorm: '1' as unknown as number },
      /expected `globalClipnorm` to be a number >= 0 or null, received "1"/,
    ],
  ])('rejects a bad value %j', (options, message) => {
    expect(() => new SGD(options)).toThrow(message);
  });
});
