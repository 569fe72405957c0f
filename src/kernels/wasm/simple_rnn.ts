/**
 * The SimpleRNN recurrence as one WebAssembly call per pass: a drop-in for
 * `fusedSimpleRnnRecurrence` (same arguments, same values, same gradients) that runs under any
 * tfjs backend. Inputs are copied into the kernels' memory, outputs come back as new tensors;
 * what the backward pass needs (the input projection's buffer, the weights, every state, the
 * mask) stays in that memory between the two passes.
 *
 * Lifetime of those buffers: freed at the end of the forward pass when no gradient tape is
 * recording (inference: nothing is kept), else when the gradient has run, else as soon as the
 * tape they were recorded on is over without running it (checked at every call).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../../errors';
import type { FusedActivation, FusedRecurrenceOptions } from '../simple_rnn_fused';
import type { KernelCall } from './pool';
import { getThreads, kernelRuntime, runJobs, type KernelRuntime } from './runtime';

const ACTIVATION_CODES: Record<FusedActivation, number> = {
  linear: 0,
  tanh: 1,
  sigmoid: 2,
  relu: 3,
};

/** A share of the batch worth a thread: at least this many multiply-adds per pass. */
const MIN_WORK_PER_THREAD = 1 << 20;

interface Dims {
  steps: number;
  batch: number;
  units: number;
  /** Row stride of every buffer, in floats: units rounded up to a multiple of 4. */
  ld: number;
  act: number;
  goBackwards: boolean;
  returnSequences: boolean;
  /** [first row, rows] of each thread's share. */
  slices: [number, number][];
}

/** The buffers a forward pass leaves for its backward pass (byte offsets; mask 0 = none). */
interface Saved {
  dims: Dims;
  p: number;
  w: number;
  h0: number;
  mask: number;
  h: number;
  /** The gradient tape the pass was recorded on. */
  tape: unknown;
  released: boolean;
}

const pending = new Set<Saved>();

function release(rt: KernelRuntime, saved: Saved): void {
  if (saved.released) return;
  saved.released = true;
  pending.delete(saved);
  for (const ptr of [saved.p, saved.w, saved.h0, saved.mask, saved.h]) {
    if (ptr !== 0) rt.heap.free(ptr);
  }
}

/** Frees the buffers of forward passes whose tape is over without having run their gradient. */
function releaseFinishedTapes(rt: KernelRuntime): void {
  const tape: unknown = tf.engine().state.activeTape;
  for (const saved of pending) {
    if (saved.tape !== tape) release(rt, saved);
  }
}

/** Forward passes whose buffers wait for a gradient (for tests and diagnostics). */
export function pendingGradientCount(): number {
  return pending.size;
}

/** [first, count] of `parts` shares of `rows` rows, each a multiple of 4 but the last. */
function splitRows(rows: number, parts: number): [number, number][] {
  const per = Math.ceil(rows / parts / 4) * 4;
  const shares: [number, number][] = [];
  for (let first = 0; first < rows; first += per) {
    shares.push([first, Math.min(per, rows - first)]);
  }
  return shares;
}

/** The batch's shares, one per thread, as many threads as the work is worth. */
function planSlices(batch: number, steps: number, units: number): [number, number][] {
  const work = steps * batch * units * units;
  const parts = Math.min(
    getThreads(),
    Math.floor(work / MIN_WORK_PER_THREAD),
    Math.ceil(batch / 4),
  );
  return splitRows(batch, Math.max(1, parts));
}

/** Copies `rows` rows of `n` floats into a padded buffer of row stride `ld`. */
function writeRows(
  rt: KernelRuntime,
  ptr: number,
  data: ArrayLike<number>,
  rows: number,
  n: number,
  ld: number,
): void {
  if (n === ld) {
    rt.heap.f32.set(data, ptr >> 2);
    return;
  }
  const tmp = rt.heap.alloc(rows * n * 4);
  rt.heap.f32.set(data, tmp >> 2);
  rt.exports.packRows(tmp, rows, n, ld, ptr);
  rt.heap.free(tmp);
}

/** Copies `rows` rows of `n` floats out of a padded buffer of row stride `ld`. */
function readRows(
  rt: KernelRuntime,
  ptr: number,
  rows: number,
  n: number,
  ld: number,
): Float32Array {
  if (n === ld) return rt.heap.f32.slice(ptr >> 2, (ptr >> 2) + rows * n);
  const tmp = rt.heap.alloc(rows * n * 4);
  rt.exports.unpackRows(ptr, rows, n, ld, tmp);
  const out = rt.heap.f32.slice(tmp >> 2, (tmp >> 2) + rows * n);
  rt.heap.free(tmp);
  return out;
}

function allocated(rt: KernelRuntime, sizes: readonly number[]): number[] {
  const out: number[] = [];
  try {
    for (const s of sizes) out.push(rt.heap.alloc(s));
  } catch (err) {
    for (const ptr of out) rt.heap.free(ptr);
    throw err;
  }
  return out;
}

/** Runs the forward pass; returns the output values and, when `keep`, the saved buffers. */
function forward(
  rt: KernelRuntime,
  dims: Dims,
  p: ArrayLike<number>,
  u: ArrayLike<number>,
  h0: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  keep: boolean,
): { values: Float32Array; saved: Saved | undefined } {
  const { steps, batch, units, ld, act, goBackwards, returnSequences, slices } = dims;
  const row = ld * 4;
  const ring = !keep && !returnSequences;
  const hasMask = mask !== undefined;
  const [pPtr, wPtr, h0Ptr, hPtr, maskPtr, hmPtr] = allocated(rt, [
    steps * batch * row,
    units * row,
    batch * row,
    (ring ? 2 : steps) * batch * row,
    ...(hasMask ? [batch * row, 2 * batch * row] : []),
  ]) as [number, number, number, number, number | undefined, number | undefined];
  const saved: Saved = {
    dims,
    p: pPtr,
    w: wPtr,
    h0: h0Ptr,
    mask: maskPtr ?? 0,
    h: hPtr,
    tape: tf.engine().state.activeTape,
    released: false,
  };
  try {
    writeRows(rt, pPtr, p, steps * batch, units, ld);
    writeRows(rt, wPtr, u, units, units, ld);
    writeRows(rt, h0Ptr, h0, batch, units, ld);
    if (maskPtr !== undefined && mask !== undefined) writeRows(rt, maskPtr, mask, batch, units, ld);
    const jobs: KernelCall[][] = slices.map(([b0, nb]) => [
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
          maskPtr ?? 0,
          hPtr,
          hmPtr ?? 0,
        ],
      },
    ]);
    runJobs(rt, jobs);
    const values = returnSequences
      ? readRows(rt, hPtr, steps * batch, units, ld)
      : readRows(rt, hPtr + (ring ? (steps - 1) & 1 : steps - 1) * batch * row, batch, units, ld);
    if (hmPtr !== undefined) rt.heap.free(hmPtr);
    if (!keep) {
      release(rt, saved);
      return { values, saved: undefined };
    }
    pending.add(saved);
    return { values, saved };
  } catch (err) {
    if (hmPtr !== undefined) rt.heap.free(hmPtr);
    release(rt, saved);
    throw err;
  }
}

/** Runs the backward pass of `saved` for the output gradient `dy`, and frees `saved`. */
function backward(
  rt: KernelRuntime,
  saved: Saved,
  dy: ArrayLike<number>,
): [Float32Array, Float32Array, Float32Array] {
  if (saved.released) {
    throw new Error(
      'wasm SimpleRNN: the gradient ran after its forward buffers were released (it can run once, on the tape that recorded the forward pass).',
    );
  }
  const { steps, batch, units, ld, act, goBackwards, returnSequences, slices } = saved.dims;
  const row = ld * 4;
  const dyRows = returnSequences ? steps * batch : batch;
  let temps: number[] = [];
  try {
    temps = allocated(rt, [dyRows * row, units * row, batch * row, ld * row]);
    const [dyPtr, wtPtr, dh0Ptr, dwPtr] = temps as [number, number, number, number];
    writeRows(rt, dyPtr, dy, dyRows, units, ld);
    rt.exports.transposePacked(saved.w, ld, units, ld, wtPtr);
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
          ],
        },
      ]),
    );
    // ... then dU splits its rows, so that every sum runs in one order whatever the threads.
    runJobs(
      rt,
      splitRows(ld, slices.length).map(([i0, ni]) => [
        {
          fn: 'simpleRnnKernelGrad',
          args: [steps, batch, ld, i0, ni, gb, saved.h, saved.h0, saved.mask, saved.p, dwPtr],
        },
      ]),
    );
    return [
      readRows(rt, saved.p, steps * batch, units, ld),
      readRows(rt, dwPtr, units, units, ld),
      readRows(rt, dh0Ptr, batch, units, ld),
    ];
  } finally {
    for (const ptr of temps) rt.heap.free(ptr);
    release(rt, saved);
  }
}

function checkShape(name: string, tensor: tf.Tensor, expected: readonly number[]): void {
  const ok =
    tensor.shape.length === expected.length && tensor.shape.every((d, i) => d === expected[i]);
  if (!ok) {
    throw new ValueError(
      `wasmSimpleRnnRecurrence: expected ${name} of shape ${formatShape(expected)}, received ${formatShape(tensor.shape)}.`,
    );
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
  const act = ACTIVATION_CODES[activation] as number | undefined;
  if (act === undefined) {
    throw new ValueError(
      `wasmSimpleRnnRecurrence: expected activation 'tanh', 'sigmoid', 'relu' or 'linear', received ${JSON.stringify(activation)}.`,
    );
  }
  const rank = (projected.shape as readonly number[]).length;
  if (rank !== 3 || projected.shape.some((d) => d < 1)) {
    throw new ValueError(
      `wasmSimpleRnnRecurrence: expected projected of shape [timesteps, samples, units], each at least 1, received ${formatShape(projected.shape)}.`,
    );
  }
  const [steps, batch, units] = projected.shape;
  checkShape('recurrentKernel', recurrentKernel, [units, units]);
  checkShape('initialState', initialState, [batch, units]);
  if (recurrentMask !== undefined) checkShape('recurrentMask', recurrentMask, [batch, units]);
  releaseFinishedTapes(rt);
  const dims: Dims = {
    steps,
    batch,
    units,
    ld: Math.ceil(units / 4) * 4,
    act,
    goBackwards,
    returnSequences,
    slices: planSlices(batch, steps, units),
  };
  // Without a tape nothing will ask for the gradient: keep nothing.
  const keep = tf.engine().isTapeOn();
  const maskValues = recurrentMask?.dataSync();
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [p, u, h0] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
    const { values, saved } = forward(
      rt,
      dims,
      p.dataSync(),
      u.dataSync(),
      h0.dataSync(),
      maskValues,
      keep,
    );
    const value = returnSequences
      ? tf.tensor3d(values, [steps, batch, units])
      : tf.tensor2d(values, [batch, units]);
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        if (saved === undefined) {
          throw new Error('wasm SimpleRNN: no gradient tape was recording the forward pass.');
        }
        const [dp, du, dh0] = backward(rt, saved, dy.dataSync());
        return [
          tf.tensor3d(dp, [steps, batch, units]),
          tf.tensor2d(du, [units, units]),
          tf.tensor2d(dh0, [batch, units]),
        ];
      },
    };
  });
  return run(projected, recurrentKernel, initialState);
}
