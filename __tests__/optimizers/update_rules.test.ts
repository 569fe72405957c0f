/**
 * Each optimizer's update against Keras 3's rule: first steps worked out by hand, then several
 * steps against a float64 reference written here from Keras's update_step (independently of
 * src/optimizers/), and the defaults Keras uses.
 */
import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  type KerasOptimizer,
  RMSprop,
  SGD,
} from '../../src/optimizers';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

/** Runs `optimizer` on one variable starting at `w0`; the weights after each gradient. */
function train(optimizer: tf.Optimizer, w0: number[], grads: number[][]): number[][] {
  const v = tf.tidy(() => tf.variable(tf.tensor1d(w0)));
  try {
    return grads.map((g) => {
      tf.tidy(() => {
        optimizer.applyGradients({ [v.name]: tf.tensor1d(g) });
      });
      return Array.from(v.dataSync());
    });
  } finally {
    v.dispose();
    optimizer.dispose();
  }
}

/** The weights after one step of `g` from 1. */
function firstStep(optimizer: tf.Optimizer, g: number): number {
  return train(optimizer, [1], [[g]])[0]?.[0] ?? Number.NaN;
}

describe('first steps, worked out by hand from Keras 3', () => {
  // The hand-worked value is float64; Keras computes in float32 (its beta powers too, so
  // Adam's first step is 6.5e-7 away from the float64 value): the last column is what Keras
  // 3.15 (TensorFlow 2.21, CPU) returned for the same step, which ours must match to 2 ulps.
  it.each<[string, () => tf.Optimizer, number, number, number]>([
    // w - lr * g = 1 - 0.01 * 0.5
    ['SGD defaults', () => new SGD(), 0.5, 0.995, 0.9950000047683716],
    // m = 0.05, v = 0.00025, alpha = 0.1 * sqrt(0.001) / 0.1; w -= alpha * m / (sqrt(v) + 1e-7)
    [
      'Adam lr 0.1',
      () => new Adam({ learningRate: 0.1 }),
      0.5,
      0.900000632451532,
      0.9000012874603271,
    ],
    // v = 0.025; w -= 0.1 * 0.5 / sqrt(0.025 + 1e-7)
    [
      'RMSprop lr 0.1',
      () => new RMSprop({ learningRate: 0.1 }),
      0.5,
      0.6837728664367967,
      0.68377286195755,
    ],
    // a = 0.05; w -= 0.1 * 0.5 / sqrt(0.025 - 0.0025 + 1e-7)
    [
      'RMSprop centered',
      () => new RMSprop({ learningRate: 0.1, centered: true }),
      0.5,
      0.6666674074049382,
      0.6666674017906189,
    ],
    // acc = 0.1 + 0.25; w -= 0.1 * 0.5 / sqrt(0.35 + 1e-7)
    [
      'Adagrad lr 0.1',
      () => new Adagrad({ learningRate: 0.1 }),
      0.5,
      0.9154845866007779,
      0.915484607219696,
    ],
    // Eg = 0.05 * 0.25; delta = -sqrt(1e-7) * 0.5 / sqrt(Eg + 1e-7); w += 1.0 * delta
    [
      'Adadelta lr 1',
      () => new Adadelta({ learningRate: 1 }),
      0.5,
      0.9985857920944472,
      0.9985858201980591,
    ],
    // m = 0.05, u = 0.5; w -= 0.1 * m / ((1 - 0.9) * (u + 1e-7))
    [
      'Adamax lr 0.1',
      () => new Adamax({ learningRate: 0.1 }),
      0.5,
      0.9000000199999959,
      0.9000000357627869,
    ],
  ])('%s', (_name, make, g, byHand, keras) => {
    const got = firstStep(make(), g);
    expect(got).toBeCloseTo(byHand, 5);
    expect(Math.abs(got - keras)).toBeLessThanOrEqual(2 * 2 ** -24);
  });

  it('SGD with momentum 0.9 and with Nesterov, two steps of g = 0.5 at lr 0.1', () => {
    // m = -0.05, w = 0.95; m = 0.9 * -0.05 - 0.05 = -0.095, w = 0.855
    expect(train(new SGD({ learningRate: 0.1, momentum: 0.9 }), [1], [[0.5], [0.5]])).toEqual([
      [expect.closeTo(0.95, 6)],
      [expect.closeTo(0.855, 6)],
    ]);
    // w += 0.9 * m - 0.1 * g: 1 - 0.095 = 0.905, then 0.905 - 0.1355 = 0.7695
    expect(
      train(new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }), [1], [[0.5], [0.5]]),
    ).toEqual([[expect.closeTo(0.905, 6)], [expect.closeTo(0.7695, 6)]]);
  });

  it("Adam puts epsilon where Keras does, not where tfjs's Adam does", () => {
    // g = 1e-6: m = 1e-7, sqrt(v) = 3.16e-8, so Keras's step is alpha * m / (sqrt(v) + 1e-7)
    // = 0.0240; tfjs divides the bias-corrected m by sqrt(v_hat) + eps: a step of 0.0909.
    // Keras 3.15 returned 0.9759748578071594 (float32).
    expect(firstStep(new Adam({ learningRate: 0.1 }), 1e-6)).toBeCloseTo(0.9759746926647958, 5);
    expect(firstStep(tf.train.adam(0.1, 0.9, 0.999, 1e-7), 1e-6)).toBeCloseTo(0.90909, 4);
  });
});

/** Keras 3's rules in float64: the reference the optimizers must follow step by step. */
const reference = {
  sgd(w: number[], grads: number[][], lr: number, momentum = 0, nesterov = false): number[][] {
    let m = w.map(() => 0);
    return grads.map((g) => {
      if (momentum === 0) {
        w = w.map((x, i) => x - lr * (g[i] ?? 0));
      } else {
        m = m.map((x, i) => momentum * x - lr * (g[i] ?? 0));
        w = w.map((x, i) =>
          nesterov ? x + momentum * (m[i] ?? 0) - lr * (g[i] ?? 0) : x + (m[i] ?? 0),
        );
      }
      return w;
    });
  },
  adam(w: number[], grads: number[][], lr: number, amsgrad = false): number[][] {
    const [b1, b2, eps] = [0.9, 0.999, 1e-7];
    let m = w.map(() => 0);
    let v = w.map(() => 0);
    let vHat = w.map(() => 0);
    return grads.map((g, step) => {
      const t = step + 1;
      m = m.map((x, i) => x + ((g[i] ?? 0) - x) * (1 - b1));
      v = v.map((x, i) => x + ((g[i] ?? 0) ** 2 - x) * (1 - b2));
      vHat = vHat.map((x, i) => Math.max(x, v[i] ?? 0));
      const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      const denominator = amsgrad ? vHat : v;
      w = w.map((x, i) => x - (alpha * (m[i] ?? 0)) / (Math.sqrt(denominator[i] ?? 0) + eps));
      return w;
    });
  },
  rmsprop(w: number[], grads: number[][], lr: number, momentum: number, centered: boolean) {
    const [rho, eps] = [0.9, 1e-7];
    let v = w.map(() => 0);
    let a = w.map(() => 0);
    let mom = w.map(() => 0);
    return grads.map((g) => {
      v = v.map((x, i) => rho * x + (1 - rho) * (g[i] ?? 0) ** 2);
      a = a.map((x, i) => rho * x + (1 - rho) * (g[i] ?? 0));
      const inc = w.map((_, i) => {
        const d = (v[i] ?? 0) - (centered ? (a[i] ?? 0) ** 2 : 0) + eps;
        return (lr * (g[i] ?? 0)) / Math.sqrt(d);
      });
      if (momentum > 0) {
        mom = mom.map((x, i) => momentum * x + (inc[i] ?? 0));
        w = w.map((x, i) => x - (mom[i] ?? 0));
      } else {
        w = w.map((x, i) => x - (inc[i] ?? 0));
      }
      return w;
    });
  },
  adagrad(w: number[], grads: number[][], lr: number, initial: number): number[][] {
    let acc = w.map(() => initial);
    return grads.map((g) => {
      acc = acc.map((x, i) => x + (g[i] ?? 0) ** 2);
      w = w.map((x, i) => x - (lr * (g[i] ?? 0)) / Math.sqrt((acc[i] ?? 0) + 1e-7));
      return w;
    });
  },
  adadelta(w: number[], grads: number[][], lr: number): number[][] {
    const [rho, eps] = [0.95, 1e-7];
    let eg = w.map(() => 0);
    let ed = w.map(() => 0);
    return grads.map((g) => {
      eg = eg.map((x, i) => rho * x + (1 - rho) * (g[i] ?? 0) ** 2);
      const delta = w.map(
        (_, i) => (-Math.sqrt((ed[i] ?? 0) + eps) * (g[i] ?? 0)) / Math.sqrt((eg[i] ?? 0) + eps),
      );
      ed = ed.map((x, i) => rho * x + (1 - rho) * (delta[i] ?? 0) ** 2);
      w = w.map((x, i) => x + lr * (delta[i] ?? 0));
      return w;
    });
  },
  adamax(w: number[], grads: number[][], lr: number): number[][] {
    const [b1, b2, eps] = [0.9, 0.999, 1e-7];
    let m = w.map(() => 0);
    let u = w.map(() => 0);
    return grads.map((g, step) => {
      m = m.map((x, i) => x + ((g[i] ?? 0) - x) * (1 - b1));
      u = u.map((x, i) => Math.max(b2 * x, Math.abs(g[i] ?? 0)));
      w = w.map((x, i) => x - (lr * (m[i] ?? 0)) / ((1 - b1 ** (step + 1)) * ((u[i] ?? 0) + eps)));
      return w;
    });
  },
};

const W0 = [0.5, -1.25, 2];
/** Gradients that change sign and size, with a zero, over five steps. */
const GRADS = [
  [0.3, -0.2, 0],
  [-0.1, 0.4, 0.05],
  [0.25, 0.25, -0.5],
  [0.002, -1.5, 0.7],
  [-0.6, 0.01, 0.3],
];

describe('five steps against the float64 reference of Keras 3', () => {
  it.each<[string, () => KerasOptimizer, number[][]]>([
    ['SGD', () => new SGD({ learningRate: 0.1 }), reference.sgd(W0, GRADS, 0.1)],
    [
      'SGD momentum',
      () => new SGD({ learningRate: 0.1, momentum: 0.8 }),
      reference.sgd(W0, GRADS, 0.1, 0.8),
    ],
    [
      'SGD nesterov',
      () => new SGD({ learningRate: 0.1, momentum: 0.8, nesterov: true }),
      reference.sgd(W0, GRADS, 0.1, 0.8, true),
    ],
    ['Adam', () => new Adam({ learningRate: 0.05 }), reference.adam(W0, GRADS, 0.05)],
    [
      'Adam amsgrad',
      () => new Adam({ learningRate: 0.05, amsgrad: true }),
      reference.adam(W0, GRADS, 0.05, true),
    ],
    [
      'RMSprop',
      () => new RMSprop({ learningRate: 0.05 }),
      reference.rmsprop(W0, GRADS, 0.05, 0, false),
    ],
    [
      'RMSprop momentum centered',
      () => new RMSprop({ learningRate: 0.05, momentum: 0.5, centered: true }),
      reference.rmsprop(W0, GRADS, 0.05, 0.5, true),
    ],
    [
      'Adagrad',
      () => new Adagrad({ learningRate: 0.25, initialAccumulatorValue: 0.2 }),
      reference.adagrad(W0, GRADS, 0.25, 0.2),
    ],
    ['Adadelta', () => new Adadelta({ learningRate: 0.5 }), reference.adadelta(W0, GRADS, 0.5)],
    ['Adamax', () => new Adamax({ learningRate: 0.125 }), reference.adamax(W0, GRADS, 0.125)],
  ])('%s', async (_name, make, expected) => {
    const got = await expectNoLeak(() => train(make(), W0, GRADS));
    got.forEach((w, step) => {
      expect(w).toBeAllClose(expected[step] ?? [], 1e-6, 1e-5);
    });
  });
});

describe('defaults', () => {
  it.each<[string, () => KerasOptimizer, Record<string, unknown>]>([
    ['SGD', () => new SGD(), { learningRate: Math.fround(0.01), momentum: 0, nesterov: false }],
    [
      'Adam',
      () => new Adam(),
      { learningRate: Math.fround(1e-3), beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false },
    ],
    [
      'RMSprop',
      () => new RMSprop(),
      { learningRate: Math.fround(1e-3), rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
    ],
    [
      'Adagrad',
      () => new Adagrad(),
      { learningRate: Math.fround(1e-3), initialAccumulatorValue: 0.1, epsilon: 1e-7 },
    ],
    [
      'Adadelta',
      () => new Adadelta(),
      { learningRate: Math.fround(1e-3), rho: 0.95, epsilon: 1e-7 },
    ],
    [
      'Adamax',
      () => new Adamax(),
      { learningRate: Math.fround(1e-3), beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    ],
  ])('%s has Keras 3 defaults and no clipping', (name, make, expected) => {
    const optimizer = make();
    expect(optimizer.getClassName()).toBe(name);
    expect(optimizer.getConfig()).toEqual({
      name: expect.any(String),
      weightDecay: null,
      clipnorm: null,
      clipvalue: null,
      globalClipnorm: null,
      ...expected,
    });
    optimizer.dispose();
  });

  it('stores the learning rate as float32, as Keras does', () => {
    const sgd = new SGD({ learningRate: 0.01 });
    expect(sgd.learningRate).toBe(0.009999999776482582);
    expect(sgd.kerasConfig().learning_rate).toBe(0.009999999776482582);
    sgd.learningRate = 0.1;
    expect(sgd.learningRate).toBe(0.10000000149011612);
    sgd.dispose();
  });

  it('counts iterations as Keras does, and computes step t from them', () => {
    const adam = new Adam({ learningRate: 0.1 });
    const v = tf.tidy(() => tf.variable(tf.tensor1d([1])));
    expect(adam.iterations).toBe(0);
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        adam.applyGradients({ [v.name]: tf.tensor1d([0.5]) });
      });
    }
    expect(adam.iterations).toBe(3);
    // A constant gradient: m/sqrt(v) is 1 at every t after bias correction: 3 steps of ~0.1.
    expect(v).toBeAllClose([1 - 0.3], 1e-5);
    v.dispose();
    adam.dispose();
  });

  it('applies weight decay before the update: w -= w * wd * lr', () => {
    // w = 1: decay to 1 - 1 * 0.1 * 0.5 = 0.95, then SGD 0.95 - 0.5 * 0.2 = 0.85
    expect(firstStep(new SGD({ learningRate: 0.5, weightDecay: 0.1 }), 0.2)).toBeCloseTo(0.85, 6);
  });
});
