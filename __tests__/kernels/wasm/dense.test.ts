import * as tf from '@tensorflow/tfjs';
import { denseProduct } from '../../../src/kernels/dense';
import { KERNEL_ENV_VAR } from '../../../src/kernels/kernel_choice';
import { wasmDense, wasmKernelAvailable, wasmKernelMemory } from '../../../src/kernels/wasm';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';
import { normal } from '../../helpers/random_tensors';

beforeAll(async () => {
  await useTestBackend();
});

interface Case {
  rows: number;
  features: number;
  units: number;
  bias: boolean;
}

/** y = x · W + b and, for the loss sum(y ⊙ g), dx, dW and db, in float64. */
function reference64(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  g: Float32Array,
  { rows, features, units }: Case,
): { y: number[]; dx: number[]; dw: number[]; db: number[] } {
  const y: number[] = [];
  const dx: number[] = [];
  const dw: number[] = new Array<number>(features * units).fill(0);
  const db: number[] = new Array<number>(units).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < units; j++) {
      let s = b === null ? 0 : (b[j] ?? 0);
      for (let k = 0; k < features; k++) s += (x[r * features + k] ?? 0) * (w[k * units + j] ?? 0);
      y.push(s);
      const gj = g[r * units + j] ?? 0;
      db[j] = (db[j] ?? 0) + gj;
      for (let k = 0; k < features; k++) {
        dw[k * units + j] = (dw[k * units + j] ?? 0) + (x[r * features + k] ?? 0) * gj;
      }
    }
    for (let k = 0; k < features; k++) {
      let s = 0;
      for (let j = 0; j < units; j++) s += (g[r * units + j] ?? 0) * (w[k * units + j] ?? 0);
      dx.push(s);
    }
  }
  return { y, dx, dw, db };
}

const CASES: Case[] = [
  { rows: 1, features: 1, units: 1, bias: true },
  { rows: 3, features: 5, units: 7, bias: true },
  { rows: 64, features: 100, units: 1, bias: true },
  { rows: 64, features: 100, units: 100, bias: false },
  { rows: 130, features: 9, units: 13, bias: true },
  // More features than the kernels' products take in one block (512).
  { rows: 6, features: 600, units: 3, bias: true },
  { rows: 5, features: 3, units: 600, bias: false },
];

const onKernels = wasmKernelAvailable() ? describe : describe.skip;

onKernels('wasmDense', () => {
  it.each(CASES)('matches float64 in its value and every gradient: %o', async (c) => {
    const { rows, features, units } = c;
    const x = normal<tf.Rank.R2>([rows, features], 1, 1);
    const w = normal<tf.Rank.R2>([features, units], 1 / Math.sqrt(features), 2);
    const b = c.bias ? normal<tf.Rank.R1>([units], 0.5, 3) : null;
    const g = normal<tf.Rank.R2>([rows, units], 1, 4);
    const heapBefore = wasmKernelMemory().bytesInUse;
    const expected = reference64(
      x.dataSync() as Float32Array,
      w.dataSync() as Float32Array,
      b === null ? null : (b.dataSync() as Float32Array),
      g.dataSync() as Float32Array,
      c,
    );
    const want = {
      y: tf.tensor2d(expected.y, [rows, units]),
      dx: tf.tensor2d(expected.dx, [rows, features]),
      dw: tf.tensor2d(expected.dw, [features, units]),
      db: tf.tensor1d(expected.db),
    };
    await expectNoLeak(() => {
      const inputs = b === null ? [x, w] : [x, w, b];
      const { value, grads } = tf.valueAndGrads((...t: tf.Tensor[]) => {
        const bias = t.length > 2 ? (t[2] as tf.Tensor1D) : null;
        return tf.sum(tf.mul(wasmDense(t[0] as tf.Tensor2D, t[1] as tf.Tensor2D, bias), g));
      })(inputs);
      const y = wasmDense(x, w, b);
      expect(y.shape).toEqual([rows, units]);
      // float32 sums of up to 600 terms of size ~1 (float64 on the other side).
      expect(y).toBeAllClose(want.y, 1e-5, 1e-5);
      expect(grads[0]).toBeAllClose(want.dx, 1e-5, 1e-5);
      expect(grads[1]).toBeAllClose(want.dw, 1e-4, 1e-5);
      if (b !== null) expect(grads[2]).toBeAllClose(want.db, 1e-4, 1e-5);
      expect(grads).toHaveLength(inputs.length);
      tf.dispose([value, ...grads, y]);
    });
    tf.dispose(want);
    expect(wasmKernelMemory().bytesInUse).toBe(heapBefore);
    tf.dispose([x, w, g, ...(b === null ? [] : [b])]);
  });

  it('propagates NaN and Inf as a product does', () => {
    const x = tf.tensor2d([
      [1, NaN],
      [Infinity, 1],
      [1, 2],
    ]);
    const w = tf.tensor2d([[1], [1]]);
    const product = wasmDense(x, w, null);
    const y = product.dataSync();
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(Infinity);
    expect(y[2]).toBe(3);
    tf.dispose([x, w, product]);
  });
});

describe('denseProduct', () => {
  /** The names of the tfjs kernels one forward and backward pass of denseProduct runs. */
  function kernelNames(rows: number, features = 4, units = 3): Promise<string[]> {
    const x = normal<tf.Rank.R2>([rows, features], 1, 5);
    const w = tf.variable(normal<tf.Rank.R2>([features, units], 1, 6));
    const b = tf.variable(tf.zeros<tf.Rank.R1>([units]));
    return tf
      .profile(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(denseProduct(x, w as tf.Tensor2D, b as tf.Tensor1D)),
          [w, b],
        );
        tf.dispose([value, ...Object.values(grads)]);
      })
      .then((info) => info.kernelNames)
      .finally(() => {
        tf.dispose([x, w, b]);
      });
  }

  it('runs tfjs ops with TFJS_KERAS_RNN_KERNEL=fused', async () => {
    const before = process.env[KERNEL_ENV_VAR];
    process.env[KERNEL_ENV_VAR] = 'fused';
    try {
      expect(await kernelNames(8)).toContain('BatchMatMul');
    } finally {
      if (before === undefined) Reflect.deleteProperty(process.env, KERNEL_ENV_VAR);
      else process.env[KERNEL_ENV_VAR] = before;
    }
  });

  (wasmKernelAvailable() ? it : it.skip)('runs the kernels for a small layer', async () => {
    expect(await kernelNames(8)).not.toContain('BatchMatMul');
  });

  it("runs tfjs ops for a layer too large for the kernels' memory", async () => {
    // 2^21 rows x (1 feature + 1 unit): more than 2^22 values.
    expect(await kernelNames(2 ** 21 + 1, 1, 1)).toContain('BatchMatMul');
  });

  it('gives what tfjs ops give, with and without bias', () => {
    const x = normal<tf.Rank.R2>([17, 6], 1, 7);
    const w = normal<tf.Rank.R2>([6, 5], 0.5, 8);
    const b = normal<tf.Rank.R1>([5], 0.5, 9);
    const product = tf.matMul(x, w);
    const sum = tf.add(product, b);
    const withBias = denseProduct(x, w, b);
    const without = denseProduct(x, w, null);
    expect(withBias).toBeAllClose(sum, 1e-5, 1e-5);
    expect(without).toBeAllClose(product, 1e-5, 1e-5);
    tf.dispose([x, w, b, product, sum, withBias, without]);
  });
});
