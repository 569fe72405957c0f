/**
 * A whole SimpleRNN layer as one WebAssembly call per pass: the input projection x·W + b, the
 * recurrence over every step, and in the backward pass every gradient (x, W, U, b, h0). A
 * drop-in for `simpleRnnSequence` (same arguments, values and gradients) for the activations
 * tanh, sigmoid, relu and linear, that runs under any tfjs backend: the input is copied into
 * the kernels' memory once, batch-major as tfjs has it, and the outputs come back as new
 * tensors. What the backward pass needs stays in that memory (see buffers.ts for its lifetime).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../../errors';
import {
  type SimpleRnnSequenceOptions,
  type SimpleRnnSequenceResult,
  type SimpleRnnWeights,
  resultWithLazyState,
} from '../simple_rnn_reference';
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
import type { KernelCall } from './pool';
import { kernelRuntime, runJobs, type KernelRuntime } from './runtime';
import { tensorFrom, valuesOf } from './tensors';

const SUBJECT = 'wasmSimpleRnnSequence';

/** Inputs of fewer features than this get their projection in the forward epilogue. */
const FUSED_PROJECTION_BELOW = 4;

interface Dims {
  batch: number;
  steps: number;
  features: number;
  units: number;
  /** Row strides in floats: features and units rounded up to a multiple of 4. */
  ldf: number;
  ld: number;
  act: number;
  goBackwards: boolean;
  returnSequences: boolean;
  hasBias: boolean;
  /** [first row, rows] of each thread's share of the batch. */
  slices: [number, number][];
}

/** Byte offsets of what a forward pass keeps for its gradient (0 = none). */
interface Saved {
  /** The input, input mask applied: [T, B, F] dense. */
  x: number;
  win: number;
  w: number;
  h0: number;
  mask: number;
  maskIn: number;
  /** P, then dP. */
  p: number;
  h: number;
  kept: KeptBuffers;
}

interface ForwardInputs {
  x: tf.Tensor;
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  bias?: tf.Tensor;
  h0?: tf.Tensor;
  mask?: tf.Tensor;
  maskIn?: tf.Tensor;
}

function forward(
  rt: KernelRuntime,
  d: Dims,
  inputs: ForwardInputs,
  keep: boolean,
): { value: tf.Tensor; saved: Saved | undefined } {
  const { batch, steps, features, units, ldf, ld, slices } = d;
  const row = ld * 4;
  const ring = !keep && !d.returnSequences;
  const buffers = allocate(rt, [
    // 16 bytes past the end: the input-kernel gradient reads x 4 floats at a time.
    batch * steps * features * 4 + 16,
    batch * steps * features * 4,
    features * row,
    units * row,
    batch * row,
    inputs.mask === undefined ? 0 : batch * row,
    inputs.maskIn === undefined ? 0 : batch * ldf * 4,
    steps * batch * row,
    (ring ? 2 : steps) * batch * row,
    inputs.bias === undefined ? 0 : row,
    inputs.mask === undefined ? 0 : 2 * batch * row,
    // The batch-major copy of every state that tfjs gets back (returnSequences): each thread
    // writes its own rows once its steps are done.
    d.returnSequences ? batch * steps * units * 4 : 0,
  ]);
  const [x, xBatchMajor, win, w, h0, mask, maskIn, p, h, bias, hm, sequence] = buffers;
  try {
    rt.heap.f32.set(valuesOf(inputs.x), xBatchMajor >> 2);
    if (inputs.maskIn !== undefined) {
      writeRows(rt, maskIn, valuesOf(inputs.maskIn), batch, features, ldf);
      rt.exports.maskInputs(xBatchMajor, batch, steps, features, maskIn, ldf);
    }
    writeRows(rt, win, valuesOf(inputs.kernel), features, units, ld);
    writeRows(rt, w, valuesOf(inputs.recurrentKernel), units, units, ld);
    if (inputs.bias !== undefined) writeRows(rt, bias, valuesOf(inputs.bias), 1, units, ld);
    if (inputs.h0 !== undefined) writeRows(rt, h0, valuesOf(inputs.h0), batch, units, ld);
    else rt.heap.f32.fill(0, h0 >> 2, (h0 >> 2) + batch * ld);
    if (inputs.mask !== undefined) writeRows(rt, mask, valuesOf(inputs.mask), batch, units, ld);
    const gb = d.goBackwards ? 1 : 0;
    // With few features the forward pass computes the projection in its epilogue: writing P
    // and reading it back cost more than the products (stock's first layer, one feature).
    const fusedProjection = features < FUSED_PROJECTION_BELOW;
    runJobs(
      rt,
      slices.map(([b0, nb]): KernelCall[] => {
        const calls: KernelCall[] = [
          {
            // The kernels read x time-major: each step's rows contiguous.
            fn: 'swapLeadingAxes',
            args: [
              xBatchMajor,
              batch,
              steps,
              features,
              features,
              x,
              features,
              b0,
              b0 + nb,
              0,
              steps,
            ],
          },
        ];
        if (!fusedProjection) {
          calls.push({
            fn: 'simpleRnnProject',
            args: [steps, batch, features, ld, b0, nb, x, win, bias, p],
          });
        }
        calls.push({
          fn: 'simpleRnnForward',
          args: [
            d.act,
            steps,
            batch,
            units,
            ld,
            b0,
            nb,
            gb,
            ring ? 1 : 0,
            p,
            w,
            h0,
            mask,
            h,
            hm,
            fusedProjection ? features : 0,
            x,
            win,
            bias,
          ],
        });
        if (sequence !== 0) {
          calls.push({
            fn: 'swapLeadingAxes',
            args: [h, steps, batch, units, ld, sequence, units, 0, steps, b0, b0 + nb],
          });
        }
        return calls;
      }),
    );
    const last = ring ? (steps - 1) & 1 : steps - 1;
    const value: tf.Tensor =
      sequence !== 0
        ? tensorFrom<tf.Rank.R3>(
            rt.heap.f32.subarray(sequence >> 2, (sequence >> 2) + batch * steps * units),
            [batch, steps, units],
          )
        : tensorFromRows<tf.Rank.R2>(rt, h + last * batch * row, batch, units, ld, [batch, units]);
    freeAll(rt, [xBatchMajor, bias, hm, sequence]);
    const keptBuffers = [x, win, w, h0, mask, maskIn, p, h];
    if (!keep) {
      freeAll(rt, keptBuffers);
      return { value, saved: undefined };
    }
    const kept = keepForGradient(keptBuffers);
    return { value, saved: { x, win, w, h0, mask, maskIn, p, h, kept } };
  } catch (err) {
    freeAll(rt, buffers);
    throw err;
  }
}

/** The gradients by x, kernel, recurrent kernel, then bias and h0 when they are inputs. */
function backward(
  rt: KernelRuntime,
  d: Dims,
  s: Saved,
  dyTensor: tf.Tensor,
  hasInitialState: boolean,
): tf.Tensor[] {
  if (s.kept.released) throw new Error(`${SUBJECT}: ${RELEASED_MESSAGE}`);
  const { batch, steps, features, units, ldf, ld, slices } = d;
  const row = ld * 4;
  const dyRows = d.returnSequences ? steps * batch : batch;
  let temps: readonly number[] = [];
  try {
    const blocks = allocate(rt, [
      dyRows * row,
      d.returnSequences ? dyRows * units * 4 : 0,
      units * row,
      units * ldf * 4,
      batch * row,
      ld * row,
      batch * steps * ldf * 4,
      ldf * row,
      d.hasBias ? row : 0,
    ]);
    temps = blocks;
    const [dY, dyDense, wt, wint, dh0, dw, dx, dwin, db] = blocks;
    const dy = valuesOf(dyTensor);
    // With returnSequences each thread puts its rows of dy time-major first (below).
    if (d.returnSequences) rt.heap.f32.set(dy, dyDense >> 2);
    else writeRows(rt, dY, dy, batch, units, ld);
    rt.exports.transposePacked(s.w, units, units, ld, wt, ld);
    rt.exports.transposePacked(s.win, features, units, ld, wint, ldf);
    const gb = d.goBackwards ? 1 : 0;
    // BPTT and the input's gradient split the batch (rows are independent) ...
    runJobs(
      rt,
      slices.map(([b0, nb]): KernelCall[] => {
        const calls: KernelCall[] = [];
        if (d.returnSequences) {
          calls.push({
            fn: 'swapLeadingAxes',
            args: [dyDense, batch, steps, units, units, dY, ld, b0, b0 + nb, 0, steps],
          });
        }
        calls.push(
          {
            fn: 'simpleRnnBackward',
            args: [
              d.act,
              steps,
              batch,
              units,
              ld,
              b0,
              nb,
              gb,
              d.returnSequences ? 1 : 0,
              dY,
              wt,
              s.mask,
              s.h,
              s.p,
              dh0,
            ],
          },
          {
            fn: 'simpleRnnInputGrad',
            args: [steps, batch, ldf, units, ld, b0, nb, s.p, wint, s.maskIn, dx],
          },
        );
        return calls;
      }),
    );
    // ... then the weights' gradients split their rows, so that every sum runs in one order
    // whichever thread runs it.
    const kernelJobs = splitRows(ld, slices.length).map(([i0, ni]): KernelCall[] => [
      {
        fn: 'simpleRnnKernelGrad',
        args: [steps, batch, ld, i0, ni, gb, s.h, s.h0, s.mask, s.p, dw],
      },
    ]);
    const inputKernelJobs = splitRows(ldf, slices.length).map(([i0, ni]): KernelCall[] => [
      {
        fn: 'simpleRnnInputKernelGrad',
        args: [steps, batch, features, ld, i0, ni, s.x, s.p, dwin],
      },
    ]);
    runJobs(rt, [...kernelJobs, ...inputKernelJobs]);
    if (d.hasBias) rt.exports.sumRows(s.p, steps * batch, ld, ld, db);
    const grads: tf.Tensor[] = [
      tensorFromRows<tf.Rank.R3>(rt, dx, batch * steps, features, ldf, [batch, steps, features]),
      tensorFromRows<tf.Rank.R2>(rt, dwin, features, units, ld, [features, units]),
      tensorFromRows<tf.Rank.R2>(rt, dw, units, units, ld, [units, units]),
    ];
    if (d.hasBias) grads.push(tensorFromRows<tf.Rank.R1>(rt, db, 1, units, ld, [units]));
    if (hasInitialState) {
      grads.push(tensorFromRows<tf.Rank.R2>(rt, dh0, batch, units, ld, [batch, units]));
    }
    return grads;
  } finally {
    freeAll(rt, temps);
    release(rt, s.kept);
  }
}

function validate(x: tf.Tensor3D, weights: SimpleRnnWeights, options: SimpleRnnSequenceOptions) {
  const rank = (x.shape as readonly number[]).length;
  if (rank !== 3 || x.shape.some((n) => n < 1)) {
    throw new ValueError(
      `${SUBJECT}: expected x of shape [samples, timesteps, features], each at least 1, received ${formatShape(x.shape)}.`,
    );
  }
  const [batch, , features] = x.shape;
  const units = (weights.kernel.shape as readonly number[])[1] ?? 0;
  checkShape(SUBJECT, 'kernel', weights.kernel, [features, units]);
  checkShape(SUBJECT, 'recurrentKernel', weights.recurrentKernel, [units, units]);
  if (weights.bias !== null) checkShape(SUBJECT, 'bias', weights.bias, [units]);
  if (options.initialState !== undefined) {
    checkShape(SUBJECT, 'initialState', options.initialState, [batch, units]);
  }
  if (options.inputMask !== undefined) {
    checkShape(SUBJECT, 'inputMask', options.inputMask, [batch, features]);
  }
  if (options.recurrentMask !== undefined) {
    checkShape(SUBJECT, 'recurrentMask', options.recurrentMask, [batch, units]);
  }
  return units;
}

/**
 * Runs the SimpleRNN layer's recurrence over every step of `x` [batch, timesteps, features]:
 * h_t = act(x_t · W + h_{t-1} · U + b), with the options of `simpleRnnSequence`. Differentiable
 * with respect to x, the weights and the initial state; the masks are constants. Throws when
 * the kernels cannot load (see `wasmKernelAvailable`) or for an activation other than tanh,
 * sigmoid, relu and linear.
 */
export function wasmSimpleRnnSequence(
  x: tf.Tensor3D,
  weights: SimpleRnnWeights,
  options: SimpleRnnSequenceOptions,
): SimpleRnnSequenceResult {
  const rt = kernelRuntime();
  const act = activationCode(SUBJECT, options.activation);
  const units = validate(x, weights, options);
  const [batch, steps, features] = x.shape;
  releaseFinishedTapes(rt);
  const d: Dims = {
    batch,
    steps,
    features,
    units,
    ldf: padded(features),
    ld: padded(units),
    act,
    goBackwards: options.goBackwards,
    returnSequences: options.returnSequences,
    hasBias: weights.bias !== null,
    slices: planSlices(batch, steps * batch * units * (units + features)),
  };
  // Without a tape nothing will ask for the gradient: keep nothing.
  const keep = tf.engine().isTapeOn();
  const hasInitialState = options.initialState !== undefined;
  const differentiable: tf.Tensor[] = [x, weights.kernel, weights.recurrentKernel];
  if (weights.bias !== null) differentiable.push(weights.bias);
  if (options.initialState !== undefined) differentiable.push(options.initialState);
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const tensors = args.slice(0, differentiable.length) as tf.Tensor[];
    const [xs, kernel, recurrentKernel, ...rest] = tensors as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      ...tf.Tensor[],
    ];
    const bias = d.hasBias ? rest.shift() : undefined;
    const h0 = rest.shift();
    const { value, saved } = forward(
      rt,
      d,
      {
        x: xs,
        kernel,
        recurrentKernel,
        bias,
        h0,
        mask: options.recurrentMask,
        maskIn: options.inputMask,
      },
      keep,
    );
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        if (saved === undefined) throw new Error(`${SUBJECT}: ${RELEASED_MESSAGE}`);
        return backward(rt, d, saved, dy, hasInitialState);
      },
    };
  });
  const output = run(...differentiable);
  if (!d.returnSequences) return { output, state: output as tf.Tensor2D };
  return resultWithLazyState(output, () => lastStep(output as tf.Tensor3D));
}

/**
 * x[:, T - 1, :] of a [B, T, U] tensor, copied row by row: tf.slice costs ~24 ms a batch on
 * the cpu backend for the stock model's first layer.
 */
function lastStep(sequence: tf.Tensor3D): tf.Tensor2D {
  const [batch, steps, units] = sequence.shape;
  const pick = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const values = valuesOf(args[0] as tf.Tensor);
    const last = new Float32Array(batch * units);
    for (let b = 0; b < batch; b++) {
      const from = (b * steps + steps - 1) * units;
      for (let j = 0; j < units; j++) last[b * units + j] = values[from + j] ?? 0;
    }
    return {
      value: tf.tensor2d(last, [batch, units]),
      gradFunc: (dy: tf.Tensor) => {
        const g = valuesOf(dy);
        const full = new Float32Array(batch * steps * units);
        for (let b = 0; b < batch; b++) {
          const to = (b * steps + steps - 1) * units;
          for (let j = 0; j < units; j++) full[to + j] = g[b * units + j] ?? 0;
        }
        return tf.tensor3d(full, [batch, steps, units]);
      },
    };
  });
  return pick(sequence) as tf.Tensor2D;
}
