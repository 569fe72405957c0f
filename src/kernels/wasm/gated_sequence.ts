/**
 * LSTM and GRU layers, alone or stacked in any mix (SimpleRNN layers among them), as one
 * WebAssembly call per share of the batch and pass: each layer's input projection and
 * recurrence over every step, and in the backward pass every gradient (x, and each layer's W, U,
 * b), in Keras's implementation 2 or, with recurrent dropout, implementation 1 (its masks per
 * gate in the kernels too). The same values as the tfjs ops layer by layer (`fusedLstmSequence`,
 * `fusedGruSequence`; implementation 1's `lstmSequence`, `gruSequence`; `simpleRnnSequence`),
 * within float32 rounding: the kernels' tanh and sigmoid are TensorFlow's, bit for bit, where
 * the tfjs backends' differ in the last bits. Runs under any tfjs backend: the input is copied
 * into the kernels' memory once, batch-major as tfjs has it, and the output comes back as a new
 * tensor; the sequence between two layers never leaves that memory, and what the backward pass
 * needs stays there (see buffers.ts for its lifetime).
 */
import * as tf from '@tensorflow/tfjs';
import type { GatedRunOptions, GatedStackLayer } from '../cells/gated_stack';
import {
  RELEASED_MESSAGE,
  allocate,
  freeAll,
  keepForGradient,
  release,
  releaseFinishedTapes,
  tensorFromRows,
  writeRows,
  type KeptBuffers,
} from './buffers';
import { gatedBackwardCalls, gatedForwardCalls } from './gated_calls';
import { checkGatedStack } from './gated_checks';
import {
  type GatedDims,
  type GatedForwardScratch,
  type GatedGradBlocks,
  type GatedLayerDims,
  type GatedSaved,
  gatedWeightGradJobs,
  planGatedDims,
} from './gated_plan';
import { kernelRuntime, runJobs, type KernelRuntime } from './runtime';
import { runWeightGradJobs, writeStepMasks } from './stack_moves';
import { tensorFrom, valuesOf } from './tensors';

const SUBJECT = 'wasmGatedStack';

interface Saved {
  layers: GatedSaved[];
  kept: KeptBuffers;
}

/** One layer's tensors in the forward pass. */
interface LayerInputs {
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  bias?: tf.Tensor;
  maskOut?: tf.Tensor;
  /** Implementation 1's dropout masks, one per gate: of h_{t-1} and of x_t. */
  recurrentMasks?: readonly tf.Tensor[];
  inputMasks?: readonly tf.Tensor[];
  /** Keras's step mask [batch, steps]. */
  stepMask?: tf.Tensor;
}

/** Allocates `sizes` (see allocate) and records the blocks in `owned`, for one cleanup. */
function allocateOwned<const S extends readonly number[]>(
  rt: KernelRuntime,
  owned: number[],
  sizes: S,
): ReturnType<typeof allocate<S>> {
  const blocks = allocate(rt, sizes);
  owned.push(...blocks);
  return blocks;
}

/** Copies W, U and the bias in, each gate's block of columns padded to ld. */
function writeWeights(
  rt: KernelRuntime,
  l: GatedLayerDims,
  s: GatedSaved,
  bias: number,
  t: LayerInputs,
): void {
  const { features, units, ld, gates } = l;
  // A row of [n, gates * units] is `gates` rows of `units`: padded, [n, gates * ld].
  writeRows(rt, s.win, valuesOf(t.kernel), features * gates, units, ld);
  writeRows(rt, s.u, valuesOf(t.recurrentKernel), units * gates, units, ld);
  // GRU resetAfter: [2, 3 * units], b_in then b_rec, adjacent.
  if (t.bias !== undefined) writeRows(rt, bias, valuesOf(t.bias), t.bias.size / units, units, ld);
  if (t.maskOut !== undefined) rt.heap.f32.set(valuesOf(t.maskOut), s.maskOut >> 2);
  // Masks per gate: [gates, B, ld] and [gates, B, ldf].
  const batch = (t.recurrentMasks?.[0] ?? t.inputMasks?.[0])?.shape[0] ?? 0;
  t.recurrentMasks?.forEach((mask, k) => {
    writeRows(rt, s.rmask + k * batch * ld * 4, valuesOf(mask), batch, units, ld);
  });
  t.inputMasks?.forEach((mask, k) => {
    writeRows(rt, s.imask + k * batch * l.ldf * 4, valuesOf(mask), batch, features, l.ldf);
  });
}

/** One layer's kept buffers and forward scratch; `x` is where it reads its input. */
function allocateLayer(
  rt: KernelRuntime,
  d: GatedDims,
  l: GatedLayerDims,
  x: number,
  kept: number[],
  scratch: number[],
): { saved: Omit<GatedSaved, 'stepMask'>; forward: GatedForwardScratch } {
  const { batch, steps } = d;
  const row = l.ld * 4;
  const stepRows = steps * batch;
  const lstm = l.kind === 'LSTM';
  const gru = l.kind === 'GRU';
  const [maskOut, xNext, win, u, g, h, h0, c0, c, tc, m, rmask, imask] = allocateOwned(rt, kept, [
    l.hasOutputMask ? stepRows * l.units * 4 : 0,
    l.hasOutputMask ? stepRows * row : 0,
    l.features * l.gl * 4,
    l.units * l.gl * 4,
    stepRows * l.gl * 4,
    stepRows * row,
    batch * row,
    lstm ? batch * row : 0,
    lstm ? stepRows * row : 0,
    lstm ? stepRows * row : 0,
    gru ? stepRows * l.gl * 4 : 0,
    l.hasRecurrentMasks ? l.gates * batch * row : 0,
    l.hasInputMasks ? l.gates * batch * l.ldf * 4 : 0,
  ]);
  const [bias, step, hm, xm] = allocateOwned(rt, scratch, [
    l.hasBias ? (l.resetAfter ? 2 : 1) * l.gl * 4 : 0,
    lstm ? batch * l.gl * 4 : gru ? batch * row : 0,
    // A SimpleRNN's h ⊙ mask alternates between two buffers.
    l.hasRecurrentMasks ? (gru || lstm ? 1 : 2) * batch * row : 0,
    l.hasInputMasks ? stepRows * l.features * 4 : 0,
  ]);
  rt.heap.f32.fill(0, h0 >> 2, (h0 + batch * row) >> 2);
  if (c0 !== 0) rt.heap.f32.fill(0, c0 >> 2, (c0 + batch * row) >> 2);
  return {
    saved: { x, maskOut, xNext, win, u, g, h, h0, c0, c, tc, m, rmask, imask },
    forward: { bias, biasRec: l.resetAfter && bias !== 0 ? bias + l.gl * 4 : 0, step, hm, xm },
  };
}

function forward(
  rt: KernelRuntime,
  d: GatedDims,
  x: tf.Tensor,
  inputs: readonly LayerInputs[],
  keep: boolean,
): { value: tf.Tensor; saved: Saved | undefined } {
  const { batch, steps, layers } = d;
  const first = layers[0];
  const last = layers[layers.length - 1];
  const stepRows = steps * batch;
  const kept: number[] = [];
  const scratch: number[] = [];
  try {
    const [x0] = allocateOwned(rt, kept, [
      // 16 bytes past the end: the input-kernel gradient reads x 4 floats at a time.
      stepRows * first.features * 4 + 16,
    ]);
    const [xBatchMajor, sequence] = allocateOwned(rt, scratch, [
      stepRows * first.features * 4,
      last.returnSequences ? stepRows * last.units * 4 : 0,
    ]);
    const saved: GatedSaved[] = [];
    const forwardScratch: GatedForwardScratch[] = [];
    const stepMasks = writeStepMasks(
      rt,
      inputs.map((t) => t.stepMask),
      kept,
    );
    layers.forEach((l, i) => {
      const before = saved.at(-1);
      const input = before === undefined ? x0 : before.xNext !== 0 ? before.xNext : before.h;
      const blocks = allocateLayer(rt, d, l, input, kept, scratch);
      const layerSaved = { ...blocks.saved, stepMask: stepMasks[i] };
      saved.push(layerSaved);
      forwardScratch.push(blocks.forward);
      writeWeights(rt, l, layerSaved, blocks.forward.bias, inputs[i]);
    });
    rt.heap.f32.set(valuesOf(x), xBatchMajor >> 2);
    runJobs(
      rt,
      d.slices.map((slice) =>
        gatedForwardCalls(d, saved, forwardScratch, xBatchMajor, sequence, slice),
      ),
    );
    const lastSaved = saved[saved.length - 1];
    const value: tf.Tensor =
      sequence !== 0
        ? tensorFrom<tf.Rank.R3>(
            rt.heap.f32.subarray(sequence >> 2, (sequence >> 2) + stepRows * last.units),
            [batch, steps, last.units],
          )
        : tensorFromRows<tf.Rank.R2>(
            rt,
            lastSaved.h + (steps - 1) * batch * last.ld * 4,
            batch,
            last.units,
            last.ld,
            [batch, last.units],
          );
    freeAll(rt, scratch.splice(0));
    if (!keep) {
      freeAll(rt, kept.splice(0));
      return { value, saved: undefined };
    }
    return { value, saved: { layers: saved, kept: keepForGradient(kept.splice(0)) } };
  } catch (err) {
    freeAll(rt, [...kept, ...scratch]);
    throw err;
  }
}

/** The gradients by x, then each layer's W, U and (with a bias) b. */
function backward(rt: KernelRuntime, d: GatedDims, saved: Saved, dy: tf.Tensor): tf.Tensor[] {
  const { batch, steps, layers } = d;
  if (saved.kept.released) throw new Error(`${SUBJECT}: ${RELEASED_MESSAGE}`);
  const first = layers[0];
  const last = layers[layers.length - 1];
  const owned: number[] = [];
  try {
    const [dyDense, dx] = allocateOwned(rt, owned, [
      last.returnSequences ? steps * batch * last.units * 4 : 0,
      batch * steps * first.ldf * 4,
    ]);
    const grads = layers.map((l, i): GatedGradBlocks => {
      const row = l.ld * 4;
      // Every layer but the last gets the gradient of all of its states from the next one.
      const dyRows = i < layers.length - 1 || l.returnSequences ? steps * batch : batch;
      const [dY, ut, wint, dh, dc, dq, dwin, du, db, dh2, dxTmp, carry] = allocateOwned(rt, owned, [
        dyRows * row,
        l.gl * row,
        l.gl * l.ldf * 4,
        l.kind !== 'SimpleRNN' ? batch * row : 0,
        l.kind !== 'SimpleRNN' ? batch * row : 0,
        l.kind === 'GRU' ? batch * row : 0,
        l.ldf * l.gl * 4,
        l.ld * l.gl * 4,
        l.hasBias ? (l.resetAfter ? 2 : 1) * l.gl * 4 : 0,
        l.hasRecurrentMasks && l.kind !== 'SimpleRNN' ? batch * row : 0,
        l.hasInputMasks ? batch * l.ldf * 4 : 0,
        l.hasStepMask ? batch * row : 0,
      ]);
      const s = saved.layers[i];
      rt.exports.transposePacked(s.u, l.units, l.gl, l.gl, ut, l.ld);
      rt.exports.transposePacked(s.win, l.features, l.gl, l.gl, wint, l.ldf);
      return { dY, ut, wint, dh, dc, dq, dwin, du, db, dh2, dxTmp, carry };
    });
    const lastGrads = grads[grads.length - 1];
    // With returnSequences each share puts its rows of dy time-major first.
    if (last.returnSequences) rt.heap.f32.set(valuesOf(dy), dyDense >> 2);
    else writeRows(rt, lastGrads.dY, valuesOf(dy), batch, last.units, last.ld);
    runJobs(
      rt,
      d.slices.map((slice) => gatedBackwardCalls(d, saved.layers, grads, dyDense, dx, slice)),
    );
    runWeightGradJobs(rt, gatedWeightGradJobs(d, saved.layers, grads));
    const out: tf.Tensor[] = [
      tensorFromRows<tf.Rank.R3>(rt, dx, batch * steps, first.features, first.ldf, [
        batch,
        steps,
        first.features,
      ]),
    ];
    layers.forEach((l, i) => {
      const { features, units, ld, gates } = l;
      const g = grads[i];
      out.push(
        tensorFromRows<tf.Rank.R2>(rt, g.dwin, features * gates, units, ld, [
          features,
          gates * units,
        ]),
        tensorFromRows<tf.Rank.R2>(rt, g.du, units * gates, units, ld, [units, gates * units]),
      );
      if (l.hasBias) {
        out.push(
          l.resetAfter
            ? tensorFromRows<tf.Rank.R2>(rt, g.db, 2 * gates, units, ld, [2, gates * units])
            : tensorFromRows<tf.Rank.R1>(rt, g.db, gates, units, ld, [gates * units]),
        );
      }
    });
    return out;
  } finally {
    freeAll(rt, owned);
    release(rt, saved.kept);
  }
}

/**
 * Runs LSTM, GRU and SimpleRNN layers one after another over every step of `x` [batch,
 * timesteps, features] (activations tanh, sigmoid, relu and linear; implementation 1, and a
 * SimpleRNN's dropout, with `gateMasks`), each reading every output step of the one before, times
 * its `outputMask` when it has one; returns the last layer's output. Every layer but the last
 * must return sequences; implementation 2's input mask is the caller's (see `gatedStack`). A
 * layer's `stepMask` (Keras's, see StepRunOptions) is copied into the kernels' memory once for
 * all the layers that share it; layers with different masks, or none, can share a stack.
 * Differentiable with respect to x and every weight; the masks are constants. Throws when the
 * kernels cannot load (see `wasmKernelAvailable`).
 */
export function wasmGatedStack(x: tf.Tensor3D, layers: readonly GatedStackLayer[]): tf.Tensor {
  const rt = kernelRuntime();
  const units = checkGatedStack(SUBJECT, x, layers);
  const d = planGatedDims(
    SUBJECT,
    x.shape,
    layers.map(({ kind, weights, options, outputMask, gateMasks }, i) => ({
      ...options,
      kind,
      units: units[i],
      hasBias: weights.bias !== null,
      hasOutputMask: outputMask !== undefined,
      implementation: gateMasks === undefined ? 2 : 1,
      hasRecurrentMasks: gateMasks?.recurrent !== undefined,
      hasInputMasks: gateMasks?.input !== undefined,
      hasStepMask: options.stepMask !== undefined,
    })),
  );
  releaseFinishedTapes(rt);
  // Without a tape nothing will ask for the gradient: keep nothing.
  const keep = tf.engine().isTapeOn();
  const differentiable: tf.Tensor[] = [x];
  for (const { weights } of layers) {
    differentiable.push(weights.kernel, weights.recurrentKernel);
    if (weights.bias !== null) differentiable.push(weights.bias);
  }
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ...rest] = args.slice(0, differentiable.length) as tf.Tensor[];
    const inputs = layers.map(({ weights, options, outputMask, gateMasks }): LayerInputs => {
      const [kernel, recurrentKernel] = rest.splice(0, 2) as [tf.Tensor, tf.Tensor];
      const bias = weights.bias !== null ? rest.shift() : undefined;
      return {
        kernel,
        recurrentKernel,
        bias,
        maskOut: outputMask,
        recurrentMasks: gateMasks?.recurrent,
        inputMasks: gateMasks?.input,
        stepMask: options.stepMask,
      };
    });
    const { value, saved } = forward(rt, d, xs, inputs, keep);
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        if (saved === undefined) throw new Error(`${SUBJECT}: ${RELEASED_MESSAGE}`);
        return backward(rt, d, saved, dy);
      },
    };
  });
  return run(...differentiable);
}

/** A gated cell's weights, in Keras's layouts (gates in blocks of `units` columns). */
type GatedWeights = GatedStackLayer['weights'];

/**
 * The output (h of every step, or of the last) of an LSTM over x [batch, timesteps, features]
 * in the kernels: the same arguments and values as `fusedLstmSequence`.
 */
export function wasmLstmSequence(
  x: tf.Tensor3D,
  weights: GatedWeights,
  options: Omit<GatedRunOptions, 'resetAfter'>,
): tf.Tensor {
  return wasmGatedStack(x, [{ kind: 'LSTM', weights, options: { ...options, resetAfter: false } }]);
}

/** The same for a GRU, in both reset modes (see `fusedGruSequence`). */
export function wasmGruSequence(
  x: tf.Tensor3D,
  weights: GatedWeights,
  options: GatedRunOptions,
): tf.Tensor {
  return wasmGatedStack(x, [{ kind: 'GRU', weights, options }]);
}
