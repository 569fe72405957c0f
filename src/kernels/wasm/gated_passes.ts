/**
 * The two passes of a gated stack in the kernels' memory (see gated_sequence.ts for the ops):
 * forward, the input copied in once, every layer's weights, masks and initial states written
 * in, one job per share of the batch; backward, the gradient of the last layer's output (and
 * of its last states) written in, one job per share, then the weights' gradients. What the
 * backward pass needs stays in that memory between the two (see buffers.ts for its lifetime).
 */
import type * as tf from '@tensorflow/tfjs';
import {
  RELEASED_MESSAGE,
  allocate,
  freeAll,
  keepForGradient,
  release,
  tensorFromRows,
  writeRows,
  type KeptBuffers,
} from './buffers';
import { gatedBackwardCalls, gatedForwardCalls } from './gated_calls';
import {
  type GatedDims,
  type GatedForwardScratch,
  type GatedGradBlocks,
  type GatedLayerDims,
  type GatedSaved,
  gatedWeightGradJobs,
} from './gated_plan';
import { runJobs, type KernelRuntime } from './runtime';
import { runWeightGradJobs, writeStepMasks } from './stack_moves';
import { tensorFrom, valuesOf } from './tensors';

/** What a forward pass keeps for its gradient. */
export interface GatedKept {
  layers: GatedSaved[];
  kept: KeptBuffers;
}

/** One layer's tensors in the forward pass. */
export interface GatedLayerInputs {
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  bias?: tf.Tensor;
  maskOut?: tf.Tensor;
  /** Implementation 1's dropout masks, one per gate: of h_{t-1} and of x_t. */
  recurrentMasks?: readonly tf.Tensor[];
  inputMasks?: readonly tf.Tensor[];
  /** Keras's step mask [batch, steps]. */
  stepMask?: tf.Tensor;
  /** The states before the first step (LSTM: h, c), [batch, units] each; absent: zeros. */
  initialStates?: readonly tf.Tensor[];
}

/** A forward pass's results, in the kernels' memory until `finish`. */
export interface GatedForward {
  /** The last layer's output (every step, or the last), or with `lastStateValue` its last h. */
  value: tf.Tensor;
  /** What the gradient needs; undefined when no gradient will run. */
  saved: GatedKept | undefined;
  /** The last layer's every output step [batch, steps, units] (returnSequences only). */
  sequence(): tf.Tensor3D;
  /** The last layer's last state k (Keras's order: h, c), [batch, units]. */
  lastState(k: number): tf.Tensor2D;
  /** Frees the pass's scratch, and what it kept when no gradient will run. Call it once. */
  finish(): void;
}

/** What reaches the last layer in the backward pass (undefined: nothing, zeros). */
export interface GatedIncoming {
  /** The gradient of its output (every step, or the last). */
  output?: tf.Tensor;
  /** The gradients of its last states (Keras's order: h, c): h's adds to the last step's. */
  lastStates?: readonly (tf.Tensor | undefined)[];
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

/**
 * Copies W, U and the bias in, each gate's block of columns padded to ld, the masks, and the
 * initial states (zeros without).
 */
function writeInputs(
  rt: KernelRuntime,
  [batch, l]: [number, GatedLayerDims],
  s: GatedSaved,
  bias: number,
  t: GatedLayerInputs,
): void {
  const { features, units, ld, gates } = l;
  // A row of [n, gates * units] is `gates` rows of `units`: padded, [n, gates * ld].
  writeRows(rt, s.win, valuesOf(t.kernel), features * gates, units, ld);
  writeRows(rt, s.u, valuesOf(t.recurrentKernel), units * gates, units, ld);
  // GRU resetAfter: [2, 3 * units], b_in then b_rec, adjacent.
  if (t.bias !== undefined) writeRows(rt, bias, valuesOf(t.bias), t.bias.size / units, units, ld);
  if (t.maskOut !== undefined) rt.heap.f32.set(valuesOf(t.maskOut), s.maskOut >> 2);
  // Masks per gate: [gates, B, ld] and [gates, B, ldf].
  t.recurrentMasks?.forEach((mask, k) => {
    writeRows(rt, s.rmask + k * batch * ld * 4, valuesOf(mask), batch, units, ld);
  });
  t.inputMasks?.forEach((mask, k) => {
    writeRows(rt, s.imask + k * batch * l.ldf * 4, valuesOf(mask), batch, features, l.ldf);
  });
  [s.h0, s.c0].forEach((ptr, k) => {
    if (ptr === 0) return;
    const state = t.initialStates?.[k];
    if (state !== undefined) writeRows(rt, ptr, valuesOf(state), batch, units, ld);
    else rt.heap.f32.fill(0, ptr >> 2, (ptr >> 2) + batch * ld);
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
  return {
    saved: { x, maskOut, xNext, win, u, g, h, h0, c0, c, tc, m, rmask, imask },
    forward: { bias, biasRec: l.resetAfter && bias !== 0 ? bias + l.gl * 4 : 0, step, hm, xm },
  };
}

/**
 * Runs every layer over x. With `keep` the buffers the gradient needs stay (see GatedKept);
 * with `lastStateValue` the value is the last layer's last h instead of its output.
 */
export function gatedForward(
  rt: KernelRuntime,
  d: GatedDims,
  x: tf.Tensor,
  inputs: readonly GatedLayerInputs[],
  { keep, lastStateValue }: { keep: boolean; lastStateValue: boolean },
): GatedForward {
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
      writeInputs(rt, [batch, l], layerSaved, blocks.forward.bias, inputs[i]);
    });
    rt.heap.f32.set(valuesOf(x), xBatchMajor >> 2);
    runJobs(
      rt,
      d.slices.map((slice) =>
        gatedForwardCalls(d, saved, forwardScratch, xBatchMajor, sequence, slice),
      ),
    );
    const lastSaved = saved[saved.length - 1];
    const lastStep = (steps - 1) * batch * last.ld * 4;
    const lastState = (k: number): tf.Tensor2D =>
      tensorFromRows<tf.Rank.R2>(
        rt,
        (k === 0 ? lastSaved.h : lastSaved.c) + lastStep,
        batch,
        last.units,
        last.ld,
        [batch, last.units],
      );
    const sequenceTensor = (): tf.Tensor3D =>
      tensorFrom<tf.Rank.R3>(
        rt.heap.f32.subarray(sequence >> 2, (sequence >> 2) + stepRows * last.units),
        [batch, steps, last.units],
      );
    const value = sequence !== 0 && !lastStateValue ? sequenceTensor() : lastState(0);
    const keptBuffers = kept.splice(0);
    let finished = false;
    return {
      value,
      saved: keep ? { layers: saved, kept: keepForGradient(keptBuffers) } : undefined,
      sequence: sequenceTensor,
      lastState,
      finish: () => {
        if (finished) return;
        finished = true;
        freeAll(rt, scratch.splice(0));
        if (!keep) freeAll(rt, keptBuffers);
      },
    };
  } catch (err) {
    freeAll(rt, [...kept, ...scratch]);
    throw err;
  }
}

/** Adds `values` (rows of n) to the rows of a buffer `stride` floats apart. */
function addRows(
  rt: KernelRuntime,
  ptr: number,
  values: ArrayLike<number>,
  [rows, n, stride]: [number, number, number],
): void {
  const f32 = rt.heap.f32;
  for (let r = 0; r < rows; r++) {
    const at = (ptr >> 2) + r * stride;
    for (let j = 0; j < n; j++) f32[at + j] += values[r * n + j] ?? 0;
  }
}

/**
 * Writes what reaches the last layer where its backward pass reads it: the output's gradient
 * (zeros without one), its last h's added to the last step's, and c_T's into an LSTM's dC.
 */
function writeIncoming(
  rt: KernelRuntime,
  d: GatedDims,
  g: GatedGradBlocks,
  dyDense: number,
  incoming: GatedIncoming,
): void {
  const { batch, steps } = d;
  const l = d.layers[d.layers.length - 1];
  const [dh, dc] = incoming.lastStates ?? [];
  if (l.returnSequences) {
    // Batch-major as tfjs has it: each share puts its rows time-major first.
    const size = batch * steps * l.units;
    if (incoming.output !== undefined) rt.heap.f32.set(valuesOf(incoming.output), dyDense >> 2);
    else rt.heap.f32.fill(0, dyDense >> 2, (dyDense >> 2) + size);
    // The last state is the last output step (processing order).
    const lastRows = dyDense + (steps - 1) * l.units * 4;
    if (dh !== undefined) addRows(rt, lastRows, valuesOf(dh), [batch, l.units, steps * l.units]);
  } else {
    if (incoming.output !== undefined) {
      writeRows(rt, g.dY, valuesOf(incoming.output), batch, l.units, l.ld);
    } else {
      rt.heap.f32.fill(0, g.dY >> 2, (g.dY >> 2) + batch * l.ld);
    }
    if (dh !== undefined) addRows(rt, g.dY, valuesOf(dh), [batch, l.units, l.ld]);
  }
  if (dc !== undefined && l.kind === 'LSTM')
    writeRows(rt, g.dc, valuesOf(dc), batch, l.units, l.ld);
}

/**
 * The gradients by x, then each layer's W, U, (with a bias) b and (with initial states) h0
 * and an LSTM's c0.
 */
export function gatedBackward(
  rt: KernelRuntime,
  d: GatedDims,
  saved: GatedKept,
  incoming: GatedIncoming,
  subject: string,
): tf.Tensor[] {
  const { batch, steps, layers } = d;
  if (saved.kept.released) throw new Error(`${subject}: ${RELEASED_MESSAGE}`);
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
      const gated = l.kind !== 'SimpleRNN';
      // Every layer but the last gets the gradient of all of its states from the next one.
      const dyRows = i < layers.length - 1 || l.returnSequences ? steps * batch : batch;
      const [dY, ut, wint, dh, dc, dq, dh0, dwin, du, db, dh2, dxTmp, carry] = allocateOwned(
        rt,
        owned,
        [
          dyRows * row,
          l.gl * row,
          l.gl * l.ldf * 4,
          gated ? batch * row : 0,
          gated ? batch * row : 0,
          l.kind === 'GRU' ? batch * row : 0,
          l.hasInitialStates ? batch * row : 0,
          l.ldf * l.gl * 4,
          l.ld * l.gl * 4,
          l.hasBias ? (l.resetAfter ? 2 : 1) * l.gl * 4 : 0,
          l.hasRecurrentMasks && gated ? batch * row : 0,
          l.hasInputMasks ? batch * l.ldf * 4 : 0,
          l.hasStepMask ? batch * row : 0,
        ],
      );
      const s = saved.layers[i];
      rt.exports.transposePacked(s.u, l.units, l.gl, l.gl, ut, l.ld);
      rt.exports.transposePacked(s.win, l.features, l.gl, l.gl, wint, l.ldf);
      // An LSTM's dC holds c_T's gradient when its pass starts: none but the last layer's.
      if (l.kind === 'LSTM') rt.heap.f32.fill(0, dc >> 2, (dc >> 2) + batch * l.ld);
      return { dY, ut, wint, dh, dc, dq, dh0, dwin, du, db, dh2, dxTmp, carry };
    });
    writeIncoming(rt, d, grads[grads.length - 1], dyDense, incoming);
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
      if (l.hasInitialStates) {
        // An LSTM's dC ends as c0's gradient.
        for (const ptr of l.kind === 'LSTM' ? [g.dh0, g.dc] : [g.dh0]) {
          out.push(tensorFromRows<tf.Rank.R2>(rt, ptr, batch, units, ld, [batch, units]));
        }
      }
    });
    return out;
  } finally {
    freeAll(rt, owned);
    release(rt, saved.kept);
  }
}
