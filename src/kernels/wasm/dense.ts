/**
 * A Dense layer's product x · kernel + bias in the kernels' module, with its gradient written by
 * hand. It is a SimpleRNN's input projection over one step, so the same calls compute it:
 * `project` forward (sums over the features in order, then the bias, denormals flushed as
 * TensorFlow's CPU kernels flush them), `projectInputGrad` for dx and `weightGrad` for the
 * kernel's and the bias's gradients (one step), on the calling thread.
 *
 * tfjs's own ops are slow at these sizes: on the wasm backend a [64, 100] x [100, 1] matMul
 * took 67 us and its gradient's transposed products 30-80 us (1.4 ms for [64, 100] x
 * [100, 100] transposed); Dense(1) with MSE forward and backward took 398 us there against
 * 251 us here, and Dense(100) 2.7 ms against 0.53 ms.
 */
import * as tf from '@tensorflow/tfjs';
import { allocate, freeAll, padded, tensorFromRows, writeRows } from './buffers';
import { kernelRuntime, type KernelRuntime } from './runtime';
import { valuesOf } from './tensors';

/**
 * A Dense product's sizes in the kernels' memory: `rows` rows of `features` inputs (row stride
 * `ldf`) times a kernel of `units` columns (row stride `ld`).
 */
export interface DenseRows {
  rows: number;
  features: number;
  ldf: number;
  units: number;
  ld: number;
}

function denseRows(rows: number, features: number, units: number): DenseRows {
  return { rows, features, ldf: padded(features), units, ld: padded(units) };
}

/** Copies the kernel [features, units] to `w` (row stride ld) and, when given, the bias to `b`. */
export function writeDenseWeights(
  rt: KernelRuntime,
  d: DenseRows,
  kernel: tf.Tensor,
  bias: tf.Tensor | undefined,
  w: number,
  b: number,
): void {
  writeRows(rt, w, valuesOf(kernel), d.features, d.units, d.ld);
  if (bias !== undefined) writeRows(rt, b, valuesOf(bias), 1, d.units, d.ld);
}

/** out = x · w + b (b = 0: no bias), on the calling thread. */
export function denseProductRows(
  rt: KernelRuntime,
  d: DenseRows,
  x: number,
  w: number,
  b: number,
  out: number,
): void {
  rt.exports.project(1, d.rows, d.features, d.ldf, d.ld, d.ld, 0, d.rows, x, w, b, out);
}

/**
 * From dy (row stride ld): dx = dy · wᵀ (row stride ldf), dw = xᵀ · dy ([ldf, ld]) and
 * db = the sum of dy's rows (db = 0: none), on the calling thread. x is read 4 floats at a
 * time: 16 bytes past its end must be readable.
 */
export function denseGradientRows(
  rt: KernelRuntime,
  d: DenseRows,
  x: number,
  w: number,
  dy: number,
  dx: number,
  dw: number,
  db: number,
): void {
  const [wt] = allocate(rt, [d.units * d.ldf * 4]);
  try {
    rt.exports.transposePacked(w, d.features, d.units, d.ld, wt, d.ldf);
    // Porting note: as in the recurrent layers, dx values below 2^-100 in magnitude become 0
    // (their products would be denormal; see kernels-src/simd.ts).
    rt.exports.projectInputGrad(
      1,
      d.rows,
      d.ldf,
      d.units,
      d.ld,
      0,
      d.rows,
      dy,
      wt,
      0,
      dx,
      d.ldf,
      d.ldf,
    );
    rt.exports.weightGrad(
      ...([1, d.rows, 0, 0, d.ldf, d.ld, x, d.ldf, 0, 0, 0, 0] as const),
      ...([dy, d.ld, 0, dw, d.ld, db] as const),
    );
  } finally {
    freeAll(rt, [wt]);
  }
}

/** The kernel's gradient [features, units] and, when db is not 0, the bias's, as tensors. */
export function denseWeightGradTensors(
  rt: KernelRuntime,
  d: DenseRows,
  dw: number,
  db: number,
): tf.Tensor[] {
  const out: tf.Tensor[] = [
    tensorFromRows<tf.Rank.R2>(rt, dw, d.features, d.units, d.ld, [d.features, d.units]),
  ];
  if (db !== 0) out.push(tensorFromRows<tf.Rank.R1>(rt, db, 1, d.units, d.ld, [d.units]));
  return out;
}

/** x [rows, features] · kernel [features, units] (+ bias [units]) as a new tensor. */
function product(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null): tf.Tensor2D {
  const rt = kernelRuntime();
  const d = denseRows(x.shape[0], x.shape[1], kernel.shape[1]);
  const [xp, wp, bp, out] = allocate(rt, [
    // 16 bytes past the end, as the kernels' x everywhere (read 4 floats at a time).
    d.rows * d.ldf * 4 + 16,
    d.features * d.ld * 4,
    bias === null ? 0 : d.ld * 4,
    d.rows * d.ld * 4,
  ]);
  try {
    writeRows(rt, xp, valuesOf(x), d.rows, d.features, d.ldf);
    writeDenseWeights(rt, d, kernel, bias ?? undefined, wp, bp);
    denseProductRows(rt, d, xp, wp, bp, out);
    return tensorFromRows<tf.Rank.R2>(rt, out, d.rows, d.units, d.ld, [d.rows, d.units]);
  } finally {
    freeAll(rt, [xp, wp, bp, out]);
  }
}

/** The gradients of x, the kernel and (when `withBias`) the bias, given dy [rows, units]. */
function gradients(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  dy: tf.Tensor,
  withBias: boolean,
): tf.Tensor[] {
  const rt = kernelRuntime();
  const d = denseRows(x.shape[0], x.shape[1], kernel.shape[1]);
  const [xp, wp, dyp, dx, dw, db] = allocate(rt, [
    d.rows * d.ldf * 4 + 16,
    d.features * d.ld * 4,
    d.rows * d.ld * 4,
    d.rows * d.ldf * 4,
    d.ldf * d.ld * 4,
    withBias ? d.ld * 4 : 0,
  ]);
  try {
    writeRows(rt, xp, valuesOf(x), d.rows, d.features, d.ldf);
    writeDenseWeights(rt, d, kernel, undefined, wp, 0);
    writeRows(rt, dyp, valuesOf(dy), d.rows, d.units, d.ld);
    denseGradientRows(rt, d, xp, wp, dyp, dx, dw, db);
    return [
      tensorFromRows<tf.Rank.R2>(rt, dx, d.rows, d.features, d.ldf, [d.rows, d.features]),
      ...denseWeightGradTensors(rt, d, dw, db),
    ];
  } finally {
    freeAll(rt, [xp, wp, dyp, dx, dw, db]);
  }
}

/**
 * x [rows, features] · kernel [features, units] + bias [units] (no bias: null), float32, on
 * any tfjs backend, differentiable with respect to all three.
 */
export function wasmDense(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xs, ws] = args as [tf.Tensor2D, tf.Tensor2D];
    save([xs, ws]);
    return {
      value: product(xs, ws, bias === null ? null : (args[2] as tf.Tensor1D)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        return gradients(sx, sw, dy, bias !== null);
      },
    };
  });
  return bias === null ? op(x, kernel) : op(x, kernel, bias);
}
