/**
 * The SimpleRNN recurrence as one WebAssembly call per pass: a drop-in for
 * `fusedSimpleRnnRecurrence` (same arguments, same values, same gradients) that runs under any
 * tfjs backend. Inputs are copied into the kernels' memory, outputs come back as new tensors;
 * what the backward pass needs (the input projection's buffer, the weights, every state, the
 * mask) stays in that memory between the two passes (see buffers.ts for their lifetime).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../../errors';
import type { FusedRecurrenceOptions } from '../simple_rnn_fused';
import {
  RELEASED_MESSAGE,
  activationCode,
  allocate,
  checkShape,
  freeAll,
  keepForGradient,
  padded,
  planSlices,
  release,
  releaseFinishedTapes,
  splitRows,
  tensorFromRows,
  writeRows,
  type KeptBuffers,
} from './buffers';
import { kernelRuntime, runJobs, type KernelRuntime } from './runtime';
import { valuesOf } from './tensors';

const SUBJECT = 'wasmSimpleRnnRecurrence';

interface Dims {
  steps: number;
  batch: number;
  units: number;
  /** Row stride of every buffer, in floats: units rounded up to a multiple of 4. */
  ld: number;
  act: number;
  goBackwards: boolean;
  returnSequences: boolean;
  /** [first row, rows] of each thread's share of the batch. */
  slices: [number, number][];
}

/** Byte offsets of the buffers a forward pass keeps for its gradient (mask 0 = none). */
interface Saved {
  p: number;
  w: number;
  h0: number;
  mask: number;
  h: number;
  kept: KeptBuffers;
}

/** Runs the forward pass; returns the output values and, when `keep`, the saved buffers. */
function forward(
  rt: KernelRuntime,
  dims: Dims,
  p: tf.Tensor,
  u: tf.Tensor,
  h0: tf.Tensor,
  mask: tf.Tensor | undefined,
  keep: boolean,
): { value: tf.Tensor; saved: Saved | undefined } {
  const { steps, batch, units, ld, act, goBackwards, returnSequences, slices } = dims;
  const row = ld * 4;
  const ring = !keep && !returnSequences;
  const hasMask = mask !== undefined;
  const buffers = allocate(rt, [
    steps * batch * row,
    units * row,
    batch * row,
    (ring ? 2 : steps) * batch * row,
    hasMask ? batch * row : 0,
    hasMask ? 2 * batch * row : 0,
  ]);
  const [pPtr, wPtr, h0Ptr, hPtr, maskPtr, hmPtr] = buffers;
  try {
    writeRows(rt, pPtr, valuesOf(p), steps * batch, units, ld);
    writeRows(rt, wPtr, valuesOf(u), units, units, ld);
    writeRows(rt, h0Ptr, valuesOf(h0), batch, units, ld);
    if (mask !== undefined) writeRows(rt, maskPtr, valuesOf(mask), batch, units, ld);
    runJobs(
      rt,
      slices.map(([b0, nb]) => [
        {
          fn: 'simpleRnnForward',
          args: [
            act,
            steps,
            batch,
            units,
            ld,
            b0,
            nb,
            goBackwards ? 1 : 0,
            ring ? 1 : 0,
            pPtr,
            wPtr,
            h0Ptr,
            maskPtr,
            hPtr,
            hmPtr,
            // The projection comes in P: none computed in the epilogue.
            0,
            0,
            0,
            0,
            0,
            // No step mask.
            0,
          ],
        },
      ]),
    );
    const last = ring ? (steps - 1) & 1 : steps - 1;
    const value = returnSequences
      ? tensorFromRows<tf.Rank.R3>(rt, hPtr, steps * batch, units, ld, [steps, batch, units])
      : tensorFromRows<tf.Rank.R2>(rt, hPtr + last * batch * row, batch, units, ld, [batch, units]);
    freeAll(rt, [hmPtr]);
    if (!keep) {
      freeAll(rt, [pPtr, wPtr, h0Ptr, hPtr, maskPtr]);
      return { value, saved: undefined };
    }
    const kept = keepForGradient([pPtr, wPtr, h0Ptr, hPtr, maskPtr]);
    return { value, saved: { p: pPtr, w: wPtr, h0: h0Ptr, mask: maskPtr, h: hPtr, kept } };
  } catch (err) {
    freeAll(rt, buffers);
    throw err;
  }
}

/** Runs the backward pass of `saved` for the output gradient `dy`, and frees `saved`. */
function backward(rt: KernelRuntime, dims: Dims, saved: Saved, dy: tf.Tensor): tf.Tensor[] {
  if (saved.kept.released) throw new Error(`${SUBJECT}: ${RELEASED_MESSAGE}`);
  const { steps, batch, units, ld, act, goBackwards, returnSequences, slices } = dims;
  const row = ld * 4;
  const dyRows = returnSequences ? steps * batch : batch;
  let temps: readonly number[] = [];
  try {
    const blocks = allocate(rt, [dyRows * row, units * row, batch * row, ld * row]);
    temps = blocks;
    const [dyPtr, wtPtr, dh0Ptr, dwPtr] = blocks;
    writeRows(rt, dyPtr, valuesOf(dy), dyRows, units, ld);
    rt.exports.transposePacked(saved.w, units, units, ld, wtPtr, ld);
    const gb = goBackwards ? 1 : 0;
    // BPTT splits the batch (rows are independent) ...
    runJobs(
      rt,
      slices.map(([b0, nb]) => [
        {
          fn: 'simpleRnnBackward',
          args: [
            act,
            steps,
            batch,
            units,
            ld,
            b0,
            nb,
            gb,
            returnSequences ? 1 : 0,
            dyPtr,
            wtPtr,
            saved.mask,
            saved.h,
            saved.p,
            dh0Ptr,
            // No step mask, so no scratch for it; no recording.
            0,
            0,
            0,
          ],
        },
      ]),
    );
    // ... then dU splits its rows, so that every sum runs in one order whatever the threads.
    runJobs(
      rt,
      splitRows(ld, slices.length).map(([i0, ni]) => [
        {
          fn: 'weightGrad',
          // Σ (h_{s-1} ⊙ mask)ᵀ · dP, from h0 before the first step.
          args: [
            ...([steps, batch, gb, i0, ni, ld, saved.h, ld, 1, saved.h0, saved.mask, ld] as const),
            ...([saved.p, ld, 1, dwPtr, ld, 0] as const),
          ],
        },
      ]),
    );
    return [
      tensorFromRows<tf.Rank.R3>(rt, saved.p, steps * batch, units, ld, [steps, batch, units]),
      tensorFromRows<tf.Rank.R2>(rt, dwPtr, units, units, ld, [units, units]),
      tensorFromRows<tf.Rank.R2>(rt, dh0Ptr, batch, units, ld, [batch, units]),
    ];
  } finally {
    freeAll(rt, temps);
    release(rt, saved.kept);
  }
}

/**
 * h_t = act(p_t + (h_{t-1} ⊙ mask) · U) over every step of `projected` [timesteps, samples,
 * units] (the input projection x·W + b, time-major), from `initialState` [samples, units]:
 * every state [timesteps, samples, units] in processing order, or the last [samples, units].
 * Differentiable with respect to `projected`, `recurrentKernel` and `initialState`; the mask is
 * a constant. Throws when the kernels cannot load (see `wasmKernelAvailable`).
 */
export function wasmSimpleRnnRecurrence(
  projected: tf.Tensor3D,
  recurrentKernel: tf.Tensor2D,
  initialState: tf.Tensor2D,
  options: FusedRecurrenceOptions,
): tf.Tensor {
  const rt = kernelRuntime();
  const { activation, goBackwards, returnSequences, recurrentMask } = options;
  const act = activationCode(SUBJECT, activation);
  const rank = (projected.shape as readonly number[]).length;
  if (rank !== 3 || projected.shape.some((d) => d < 1)) {
    throw new ValueError(
      `${SUBJECT}: expected projected of shape [timesteps, samples, units], each at least 1, received ${formatShape(projected.shape)}.`,
    );
  }
  const [steps, batch, units] = projected.shape;
  checkShape(SUBJECT, 'recurrentKernel', recurrentKernel, [units, units]);
  checkShape(SUBJECT, 'initialState', initialState, [batch, units]);
  if (recurrentMask !== undefined) {
    checkShape(SUBJECT, 'recurrentMask', recurrentMask, [batch, units]);
  }
  releaseFinishedTapes(rt);
  const dims: Dims = {
    steps,
    batch,
    units,
    ld: padded(units),
    act,
    goBackwards,
    returnSequences,
    slices: planSlices(batch, steps * batch * units * units),
  };
  // Without a tape nothing will ask for the gradient: keep nothing.
  const keep = tf.engine().isTapeOn();
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [p, u, h0] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
    const { value, saved } = forward(rt, dims, p, u, h0, recurrentMask, keep);
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        if (saved === undefined) throw new Error(`${SUBJECT}: ${RELEASED_MESSAGE}`);
        return backward(rt, dims, saved, dy);
      },
    };
  });
  return run(projected, recurrentKernel, initialState);
}
