/**
 * LSTM and GRU layers as one WebAssembly call per share of the batch and pass: the input
 * projection, the recurrence over every step, and in the backward pass every gradient (x, W,
 * U, b). Drop-ins for `fusedLstmSequence` and `fusedGruSequence` (same arguments, the same
 * values within float32 rounding: the kernels' tanh and sigmoid are TensorFlow's, bit for bit,
 * where the tfjs backends' differ in the last bits) that run under any tfjs backend. The input is
 * copied into the kernels' memory once, batch-major as tfjs has it, and the output comes back as
 * a new tensor; what the backward pass needs stays in that memory (see buffers.ts for its
 * lifetime).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../../errors';
import type { FusedGruOptions } from '../cells/gru_fused';
import type { FusedLstmOptions } from '../cells/lstm_fused';
import {
  RELEASED_MESSAGE,
  allocate,
  checkShape,
  freeAll,
  keepForGradient,
  release,
  releaseFinishedTapes,
  tensorFromRows,
  writeRows,
  type KeptBuffers,
} from './buffers';
import {
  type GatedDims,
  type GatedGradBlocks,
  type GatedKind,
  type GatedSaved,
  gatedBackwardCalls,
  gatedForwardCalls,
  gatedWeightGradJobs,
  planGatedDims,
} from './gated_plan';
import { MAX_JOBS } from './pool';
import { kernelRuntime, runJobs, type KernelRuntime } from './runtime';
import { tensorFrom, valuesOf } from './tensors';

/** A gated cell's weights, in Keras's layouts (gates in blocks of `units` columns). */
interface GatedWeights {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor | null;
}

interface Saved {
  buffers: GatedSaved;
  kept: KeptBuffers;
}

/** Copies W, U and the bias in, each gate's block of columns padded to ld. */
function writeWeights(
  rt: KernelRuntime,
  d: GatedDims,
  s: GatedSaved,
  bias: number,
  w: tf.Tensor,
  u: tf.Tensor,
  b: tf.Tensor | undefined,
): void {
  const { features, units, ld, gates } = d;
  // A row of [n, gates * units] is `gates` rows of `units`: padded, [n, gates * ld].
  writeRows(rt, s.win, valuesOf(w), features * gates, units, ld);
  writeRows(rt, s.u, valuesOf(u), units * gates, units, ld);
  // GRU resetAfter: [2, 3 * units], b_in then b_rec, adjacent.
  if (b !== undefined) writeRows(rt, bias, valuesOf(b), b.size / units, units, ld);
}

function forward(
  rt: KernelRuntime,
  d: GatedDims,
  x: tf.Tensor,
  w: tf.Tensor,
  u: tf.Tensor,
  b: tf.Tensor | undefined,
  keep: boolean,
): { value: tf.Tensor; saved: Saved | undefined } {
  const { batch, steps, features, units, ld, gl, kind } = d;
  const row = ld * 4;
  const stepRows = steps * batch;
  const lstm = kind === 'LSTM';
  const owned: number[] = [];
  try {
    const [xs, win, uk, g, h, h0, c0, c, tc, m] = allocate(rt, [
      // 16 bytes past the end: the input-kernel gradient reads x 4 floats at a time.
      stepRows * features * 4 + 16,
      features * gl * 4,
      units * gl * 4,
      stepRows * gl * 4,
      stepRows * row,
      batch * row,
      lstm ? batch * row : 0,
      lstm ? stepRows * row : 0,
      lstm ? stepRows * row : 0,
      lstm ? 0 : stepRows * gl * 4,
    ]);
    owned.push(xs, win, uk, g, h, h0, c0, c, tc, m);
    const s: GatedSaved = { x: xs, win, u: uk, g, h, h0, c0, c, tc, m };
    const [xBatchMajor, bias, step, sequence] = allocate(rt, [
      stepRows * features * 4,
      b === undefined ? 0 : (d.resetAfter ? 2 : 1) * gl * 4,
      lstm ? batch * gl * 4 : batch * row,
      d.returnSequences ? stepRows * units * 4 : 0,
    ]);
    const scratch = [xBatchMajor, bias, step, sequence];
    owned.push(...scratch);
    rt.heap.f32.set(valuesOf(x), xBatchMajor >> 2);
    writeWeights(rt, d, s, bias, w, u, b);
    rt.heap.f32.fill(0, h0 >> 2, (h0 + batch * row) >> 2);
    if (c0 !== 0) rt.heap.f32.fill(0, c0 >> 2, (c0 + batch * row) >> 2);
    const f = {
      xBatchMajor,
      bias,
      biasRec: d.resetAfter && bias !== 0 ? bias + gl * 4 : 0,
      step,
      sequence,
    };
    runJobs(
      rt,
      d.slices.map((slice) => gatedForwardCalls(d, s, f, slice)),
    );
    const value: tf.Tensor =
      sequence !== 0
        ? tensorFrom<tf.Rank.R3>(
            rt.heap.f32.subarray(sequence >> 2, (sequence >> 2) + stepRows * units),
            [batch, steps, units],
          )
        : tensorFromRows<tf.Rank.R2>(rt, h + (steps - 1) * batch * row, batch, units, ld, [
            batch,
            units,
          ]);
    freeAll(rt, scratch);
    const kept = owned.filter((ptr) => !scratch.includes(ptr));
    owned.length = 0;
    if (!keep) {
      freeAll(rt, kept);
      return { value, saved: undefined };
    }
    return { value, saved: { buffers: s, kept: keepForGradient(kept) } };
  } catch (err) {
    freeAll(rt, owned);
    throw err;
  }
}

/** The gradients by x, W, U and (with a bias) b. */
function backward(rt: KernelRuntime, d: GatedDims, saved: Saved, dy: tf.Tensor): tf.Tensor[] {
  const { batch, steps, features, units, ld, ldf, gl, gates } = d;
  if (saved.kept.released) throw new Error(`${d.kind}: ${RELEASED_MESSAGE}`);
  const s = saved.buffers;
  const row = ld * 4;
  const owned: number[] = [];
  try {
    const [dyDense, dY, ut, wint, dh, dc, dq, dx, dwin, du, db] = allocate(rt, [
      d.returnSequences ? steps * batch * units * 4 : 0,
      (d.returnSequences ? steps * batch : batch) * row,
      gl * row,
      gl * ldf * 4,
      batch * row,
      batch * row,
      d.kind === 'GRU' ? batch * row : 0,
      batch * steps * ldf * 4,
      ldf * gl * 4,
      ld * gl * 4,
      d.hasBias ? (d.resetAfter ? 2 : 1) * gl * 4 : 0,
    ]);
    owned.push(dyDense, dY, ut, wint, dh, dc, dq, dx, dwin, du, db);
    const g: GatedGradBlocks = { dyDense, dY, ut, wint, dh, dc, dq, dx, dwin, du, db };
    // With returnSequences each share puts its rows of dy time-major first.
    if (d.returnSequences) rt.heap.f32.set(valuesOf(dy), dyDense >> 2);
    else writeRows(rt, dY, valuesOf(dy), batch, units, ld);
    rt.exports.transposePacked(s.u, units, gl, gl, ut, ld);
    rt.exports.transposePacked(s.win, features, gl, gl, wint, ldf);
    runJobs(
      rt,
      d.slices.map((slice) => gatedBackwardCalls(d, s, g, slice)),
    );
    const jobs = gatedWeightGradJobs(d, s, g);
    // Each job writes rows of its own: running them in several lists changes no sum.
    for (let j = 0; j < jobs.length; j += MAX_JOBS) runJobs(rt, jobs.slice(j, j + MAX_JOBS));
    const grads: tf.Tensor[] = [
      tensorFromRows<tf.Rank.R3>(rt, dx, batch * steps, features, ldf, [batch, steps, features]),
      tensorFromRows<tf.Rank.R2>(rt, dwin, features * gates, units, ld, [features, gates * units]),
      tensorFromRows<tf.Rank.R2>(rt, du, units * gates, units, ld, [units, gates * units]),
    ];
    if (d.hasBias) {
      grads.push(
        d.resetAfter
          ? tensorFromRows<tf.Rank.R2>(rt, db, 2 * gates, units, ld, [2, gates * units])
          : tensorFromRows<tf.Rank.R1>(rt, db, gates, units, ld, [gates * units]),
      );
    }
    return grads;
  } finally {
    freeAll(rt, owned);
    release(rt, saved.kept);
  }
}

function validate(
  kind: GatedKind,
  x: tf.Tensor3D,
  weights: GatedWeights,
  resetAfter: boolean,
): number {
  const rank = (x.shape as readonly number[]).length;
  if (rank !== 3 || x.shape.some((n) => n < 1)) {
    throw new ValueError(
      `${kind}: expected x of shape [samples, timesteps, features], each at least 1, received ${formatShape(x.shape)}.`,
    );
  }
  const gates = kind === 'LSTM' ? 4 : 3;
  const units = (weights.recurrentKernel.shape as readonly number[])[0] ?? 0;
  checkShape(kind, 'kernel', weights.kernel, [x.shape[2], gates * units]);
  checkShape(kind, 'recurrentKernel', weights.recurrentKernel, [units, gates * units]);
  if (weights.bias !== null) {
    checkShape(kind, 'bias', weights.bias, resetAfter ? [2, gates * units] : [gates * units]);
  }
  return units;
}

function runGated(
  kind: GatedKind,
  x: tf.Tensor3D,
  weights: GatedWeights,
  options: FusedLstmOptions & { resetAfter: boolean },
): tf.Tensor {
  const rt = kernelRuntime();
  const units = validate(kind, x, weights, options.resetAfter);
  const d = planGatedDims(kind, kind, x.shape, units, {
    ...options,
    hasBias: weights.bias !== null,
  });
  releaseFinishedTapes(rt);
  // Without a tape nothing will ask for the gradient: keep nothing.
  const keep = tf.engine().isTapeOn();
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, w, u] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const b = weights.bias !== null ? (args[3] as tf.Tensor) : undefined;
    const { value, saved } = forward(rt, d, xs, w, u, b, keep);
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        if (saved === undefined) throw new Error(`${kind}: ${RELEASED_MESSAGE}`);
        return backward(rt, d, saved, dy);
      },
    };
  });
  return weights.bias === null
    ? run(x, weights.kernel, weights.recurrentKernel)
    : run(x, weights.kernel, weights.recurrentKernel, weights.bias);
}

/**
 * The output (h of every step, or of the last) of an LSTM over x [batch, timesteps, features]
 * in the kernels: Keras's implementation 2, for the activations tanh, sigmoid, relu and linear.
 * Differentiable with respect to x and the weights.
 */
export function wasmLstmSequence(
  x: tf.Tensor3D,
  weights: GatedWeights,
  options: FusedLstmOptions,
): tf.Tensor {
  return runGated('LSTM', x, weights, { ...options, resetAfter: false });
}

/** The same for a GRU, in both reset modes (see `fusedGruSequence`). */
export function wasmGruSequence(
  x: tf.Tensor3D,
  weights: GatedWeights,
  options: FusedGruOptions,
): tf.Tensor {
  return runGated('GRU', x, weights, options);
}
