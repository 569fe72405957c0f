/**
 * A Dense layer's product x · kernel + bias in the kernels' module, with its gradient written by
 * hand. It is a SimpleRNN's input projection over one step, so the same calls compute it:
 * simpleRnnProject forward (sums over the features in order, then the bias, denormals flushed
 * as TensorFlow's CPU kernels flush them), simpleRnnInputGrad for dx and
 * simpleRnnInputKernelGrad for the kernel's and the bias's gradients, on the calling thread.
 *
 * tfjs's own ops are slow at these sizes: on the wasm backend a [64, 100] x [100, 1] matMul
 * took 67 us and its gradient's transposed products 30-80 us (1.4 ms for [64, 100] x
 * [100, 100] transposed); Dense(1) with MSE forward and backward took 398 us there against
 * 251 us here, and Dense(100) 2.7 ms against 0.53 ms.
 */
import * as tf from '@tensorflow/tfjs';
import { allocate, freeAll, padded, tensorFromRows, writeRows } from './buffers';
import { kernelRuntime } from './runtime';
import { valuesOf } from './tensors';

/** x [rows, features] · kernel [features, units] (+ bias [units]) as a new tensor. */
function product(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null): tf.Tensor2D {
  const rt = kernelRuntime();
  const [rows, features] = x.shape;
  const units = kernel.shape[1];
  const ldf = padded(features);
  const ld = padded(units);
  const [xp, wp, bp, out] = allocate(rt, [
    // 16 bytes past the end, as the kernels' x everywhere (read 4 floats at a time).
    rows * ldf * 4 + 16,
    features * ld * 4,
    bias === null ? 0 : ld * 4,
    rows * ld * 4,
  ]);
  try {
    writeRows(rt, xp, valuesOf(x), rows, features, ldf);
    writeRows(rt, wp, valuesOf(kernel), features, units, ld);
    if (bias !== null) writeRows(rt, bp, valuesOf(bias), 1, units, ld);
    rt.exports.simpleRnnProject(1, rows, features, ldf, ld, 0, rows, xp, wp, bp, out);
    return tensorFromRows<tf.Rank.R2>(rt, out, rows, units, ld, [rows, units]);
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
  const [rows, features] = x.shape;
  const units = kernel.shape[1];
  const ldf = padded(features);
  const ld = padded(units);
  const [xp, wp, wt, dyp, dx, dw, db] = allocate(rt, [
    rows * ldf * 4 + 16,
    features * ld * 4,
    units * ldf * 4,
    rows * ld * 4,
    rows * ldf * 4,
    ldf * ld * 4,
    withBias ? ld * 4 : 0,
  ]);
  try {
    writeRows(rt, xp, valuesOf(x), rows, features, ldf);
    writeRows(rt, wp, valuesOf(kernel), features, units, ld);
    writeRows(rt, dyp, valuesOf(dy), rows, units, ld);
    rt.exports.transposePacked(wp, features, units, ld, wt, ldf);
    // Porting note: as in the recurrent layers, dx values below 2^-100 in magnitude become 0
    // (their products would be denormal; see kernels-src/simd.ts).
    rt.exports.simpleRnnInputGrad(1, rows, ldf, units, ld, 0, rows, dyp, wt, 0, dx, ldf, ldf);
    rt.exports.simpleRnnInputKernelGrad(1, rows, ldf, ld, 0, ldf, xp, dyp, dw, db);
    const out: tf.Tensor[] = [
      tensorFromRows<tf.Rank.R2>(rt, dx, rows, features, ldf, [rows, features]),
      tensorFromRows<tf.Rank.R2>(rt, dw, features, units, ld, [features, units]),
    ];
    if (withBias) out.push(tensorFromRows<tf.Rank.R1>(rt, db, 1, units, ld, [units]));
    return out;
  } finally {
    freeAll(rt, [xp, wp, wt, dyp, dx, dw, db]);
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
