/**
 * Adam's step outside tfjs (small dense variables, and embedding tables with their per-id sums
 * of rows and of squares) against the same update written as tfjs ops (the path large dense
 * variables and AMSGrad take): equal bit for bit on the test backend, special values included,
 * and the optimizer takes that path without leaking.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../../src/optimizers';
import { Gradient } from '../../src/optimizers/gradient';
import {
  type AdamStepConstants,
  type AdamStepInputs,
  type AdamStepValues,
  adamStepValuesInJs,
} from '../../src/optimizers/adam_step_values';
import { wasmAdamStepValues } from '../../src/kernels/wasm';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

const f32 = Math.fround;

/** Adam's update as tfjs ops, in Adam.updateStep's order. */
function adamWithOps(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  beta1: number,
  beta2: number,
  alpha: number,
  epsilon: number,
  g2?: Float32Array,
): Float32Array[] {
  return tf.tidy(() => {
    const [wt, gt, mt, vt] = [w, g, m, v].map((a) => tf.tensor1d(a)) as [
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    const square = g2 !== undefined ? tf.tensor1d(g2) : tf.square(gt);
    const m2 = tf.add(mt, tf.mul(tf.sub(gt, mt), 1 - beta1));
    const v2 = tf.add(vt, tf.mul(tf.sub(square, vt), 1 - beta2));
    const w2 = tf.sub(wt, tf.div(tf.mul(m2, alpha), tf.add(tf.sqrt(v2), epsilon)));
    return [w2, m2, v2].map((t) => t.dataSync() as Float32Array);
  });
}

/** Deterministic values over many magnitudes, with zeros and special values. */
function values(n: number, seed: number, special: boolean): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const u = s / 2147483648;
    out[i] = (u - 0.5) * 10 ** Math.floor(u * 16 - 10);
  }
  if (special) {
    out.set([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45], 0);
  }
  return out;
}

/** The kernels' step, its values copied out of the views it hands over. */
function wasmStepCopied(inputs: AdamStepInputs, c: AdamStepConstants): AdamStepValues {
  let copied: AdamStepValues | undefined;
  wasmAdamStepValues(inputs, c, (next) => {
    copied = {
      variable: next.variable.slice(),
      momentum: next.momentum.slice(),
      velocity: next.velocity.slice(),
    };
  });
  if (copied === undefined) throw new Error('wasmAdamStepValues did not call back');
  return copied;
}

describe.each([
  ['in the WebAssembly module', wasmStepCopied],
  ['in JavaScript', adamStepValuesInJs],
])('Adam step values %s', (_where, adamStepValues) => {
  it.each([
    [0.9, 0.999, 1e-7, 0.001],
    [0.5, 0.9, 1e-3, 0.05],
    [0, 0, 0, 1],
  ])(
    'equal the tfjs ops bit for bit (beta1 %f, beta2 %f, epsilon %f, lr %f)',
    (beta1, beta2, epsilon, lr) => {
      // Not a multiple of 4: the SIMD loop's scalar tail runs too.
      const n = 4001;
      const w = values(n, 1, false);
      const g = values(n, 2, true);
      const m = values(n, 3, false);
      const v = values(n, 4, false).map(Math.abs);
      const alpha = f32(lr * f32(Math.sqrt(f32(1 - f32(beta2) ** 3)))) / f32(1 - f32(beta1) ** 3);
      const c: AdamStepConstants = {
        oneMinusBeta1: f32(1 - beta1),
        oneMinusBeta2: f32(1 - beta2),
        alpha: f32(alpha),
        epsilon: f32(epsilon),
      };
      const ours = adamStepValues({ variable: w, gradient: g, momentum: m, velocity: v }, c);
      const [w2, m2, v2] = adamWithOps(w, g, m, v, beta1, beta2, f32(alpha), epsilon);
      expect(ours.momentum).toEqual(m2);
      expect(ours.velocity).toEqual(v2);
      expect(ours.variable).toEqual(w2);
      // The inputs are left as they were.
      expect(w).toEqual(values(n, 1, false));
    },
  );
});

describe.each([
  ['in the WebAssembly module', wasmStepCopied],
  ['in JavaScript', adamStepValuesInJs],
])("An embedding table's Adam step %s", (_where, adamStepValues) => {
  it.each([
    [7, 'a row of 7 values: the scalar tail'],
    [8, 'a row of 8 values'],
  ])('sums the rows and their squares per id as the scatters do, bit for bit (%d: %s)', (width) => {
    const [numRows, lookups] = [50, 400];
    const n = numRows * width;
    // Every id looked up several times, in no order.
    const ids = Int32Array.from({ length: lookups }, (_, i) => (i * 37 + (i >> 3)) % numRows);
    const rows = values(lookups * width, 6, false);
    const [w, m] = [values(n, 1, false), values(n, 3, false)];
    const v = values(n, 4, false).map(Math.abs);
    const c: AdamStepConstants = {
      oneMinusBeta1: f32(0.1),
      oneMinusBeta2: f32(0.001),
      alpha: f32(0.01),
      epsilon: f32(1e-7),
    };
    const ours = adamStepValues(
      { variable: w, gradient: { ids, rows }, momentum: m, velocity: v },
      c,
    );
    const [g, g2] = tf.tidy(() => {
      const gradient = Gradient.rows(
        { indices: tf.tensor1d(ids, 'int32'), values: tf.tensor2d(rows, [lookups, width]) },
        numRows,
      );
      return [gradient.value, gradient.square()].map((t) => t.dataSync() as Float32Array);
    });
    const [w2, m2, v2] = adamWithOps(w, g, m, v, 0.9, 0.999, f32(0.01), 1e-7, g2);
    expect(ours.momentum).toEqual(m2);
    expect(ours.velocity).toEqual(v2);
    expect(ours.variable).toEqual(w2);
  });

  it('is left to tfjs for an id outside the table, and a dense gradient has no rows', () => {
    tf.tidy(() => {
      const rows = tf.zeros([2, 3]);
      const outside = Gradient.rows({ indices: tf.tensor1d([0, 4], 'int32'), values: rows }, 4);
      expect(outside.lookupRows()).toBeUndefined();
      const inside = Gradient.rows({ indices: tf.tensor1d([0, 3], 'int32'), values: rows }, 4);
      expect(inside.lookupRows()?.ids).toEqual(Int32Array.from([0, 3]));
      expect(Gradient.dense(rows).lookupRows()).toBeUndefined();
    });
  });
});

describe('adamStepValues', () => {
  it('is what Adam applies to a small dense variable, without leaking', async () => {
    const w0 = values(300, 5, false);
    const grads = [values(300, 6, false), values(300, 7, false)];
    const variable = tf.variable(tf.tensor1d(w0));
    const adam = new Adam({ learningRate: 0.01 });
    try {
      const step = (g: Float32Array): void => {
        tf.tidy(() => {
          adam.applyGradients({ [variable.name]: tf.tensor1d(g) });
        });
      };
      // The first step makes the optimizer's slots; the next must not add tensors.
      step(grads[0]);
      await expectNoLeak(() => {
        step(grads[1]);
      });
      // Step by step with the ops (float32 learning rate and bias correction, as Adam has them).
      let [w, m, v]: Float32Array[] = [w0, new Float32Array(300), new Float32Array(300)];
      grads.forEach((g, i) => {
        const t = i + 1;
        const alpha = f32(
          f32(f32(0.01) * f32(Math.sqrt(f32(1 - f32(f32(0.999) ** t))))) /
            f32(1 - f32(f32(0.9) ** t)),
        );
        [w, m, v] = adamWithOps(w, g, m, v, 0.9, 0.999, alpha, 1e-7);
      });
      expect(variable.dataSync()).toEqual(w);
    } finally {
      variable.dispose();
      adam.dispose();
    }
  });
});

describe("Adam's slots", () => {
  it('are updated in place on the wasm backend, never under a tensor that shares their memory', async () => {
    const variable = tf.variable(tf.tensor1d(values(300, 8, false)));
    const adam = new Adam({ learningRate: 0.01 });
    const step = (seed: number): void => {
      tf.tidy(() => {
        adam.applyGradients({ [variable.name]: tf.tensor1d(values(300, seed, false)) });
      });
    };
    const momentum = async (): Promise<tf.Tensor> => {
      const weights = await adam.getWeights();
      tf.dispose(weights[0]?.tensor);
      const slot = weights.find((w) => w.name === `${variable.name}/momentum`)?.tensor;
      if (slot === undefined) throw new Error('no momentum slot');
      return slot;
    };
    try {
      step(9);
      const slot = await momentum();
      const dataBefore = slot.dataId;
      const valuesBefore = slot.dataSync().slice();
      step(10);
      // In place where the wasm backend's memory can be written; a new tensor elsewhere.
      expect(slot.dataId === dataBefore).toBe(tf.getBackend() === 'wasm');
      expect(slot.dataSync()).not.toEqual(valuesBefore);

      // A reshape shares the slot's memory: the next step must leave it as it was.
      const held = tf.reshape(slot, [3, 100]);
      const heldValues = held.dataSync().slice();
      await expectNoLeak(() => {
        step(11);
      });
      expect(held.dataSync()).toEqual(heldValues);
      expect(slot.dataSync()).not.toEqual(heldValues);
      expect(slot.dataId === held.dataId).toBe(false);
      held.dispose();
    } finally {
      variable.dispose();
      adam.dispose();
    }
  });
});
