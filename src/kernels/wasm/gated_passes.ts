/**
 * The forward pass of gated stacks in the kernels' memory (see gated_sequence.ts for the ops,
 * gated_backward.ts for the backward pass): the input copied in once, every layer's weights,
 * masks and initial states written in, one job per share of the batch; several independent
 * stacks (a Bidirectional layer's two directions) run as one list of jobs. What the backward
 * pass needs stays in that memory between the two (see buffers.ts for its lifetime).
 */
import type * as tf from '@tensorflow/tfjs';
import {
  allocate,
  freeAll,
  keepForGradient,
  tensorFromRows,
  writeRows,
  type KeptBuffers,
} from './buffers';
import { gatedForwardCalls } from './gated_calls';
import type { GatedDims, GatedForwardScratch, GatedLayerDims, GatedSaved } from './gated_plan';
import type { MergedSteps } from './merged_steps';
import type { KernelCall } from './pool';
import { runJobs, type KernelRuntime } from './runtime';
import { writeStepMasks } from './stack_moves';
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
  /**
   * Makes the last layer's output (every step, or the last), or with `lastStateValue` its last
   * h, as a new tensor (before `finish`).
   */
  value(): tf.Tensor;
  /** What the gradient needs; undefined when no gradient will run. */
  saved: GatedKept | undefined;
  /** The last layer's every output step [batch, steps, units] (returnSequences only). */
  sequence(): tf.Tensor3D;
  /** The last layer's last state k (Keras's order: h, c), [batch, units]. */
  lastState(k: number): tf.Tensor2D;
  /** Frees the pass's scratch, and what it kept when no gradient will run. Call it once. */
  finish(): void;
}

/** Allocates `sizes` (see allocate) and records the blocks in `owned`, for one cleanup. */
export function allocateOwned<const S extends readonly number[]>(
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
  const masked = l.hasStepMask;
  const [bias, step, hm, xm, rows, packX, packA, packB] = allocateOwned(rt, scratch, [
    l.hasBias ? (l.resetAfter ? 2 : 1) * l.gl * 4 : 0,
    lstm ? batch * l.gl * 4 : gru ? batch * row : 0,
    // A SimpleRNN's h ⊙ mask alternates between two buffers.
    l.hasRecurrentMasks ? (gru || lstm ? 1 : 2) * batch * row : 0,
    l.hasInputMasks ? stepRows * l.features * 4 : 0,
    // The products over each step's running rows (see GatedForwardScratch).
    masked ? batch * 4 : 0,
    masked ? batch * l.xStride * 4 : 0,
    masked ? batch * l.gl * 4 : 0,
    masked ? batch * row : 0,
  ]);
  const biasRec = l.resetAfter && bias !== 0 ? bias + l.gl * 4 : 0;
  return {
    saved: { x, maskOut, xNext, win, u, g, h, h0, c0, c, tc, m, rmask, imask },
    forward: { bias, biasRec, step, hm, xm, rows, packX, packA, packB },
  };
}

/**
 * A stack's place in an output sequence it shares with the other stacks of its pass (a
 * Bidirectional layer's directions side by side, see MergedSteps).
 */
export interface MergedPlace {
  /** The merged sequence's width: every stack's units. */
  width: number;
  column: number;
  /** Its steps reversed back into the input's order (a backward direction's). */
  reverse: boolean;
  /** Zeros at the steps its step mask covers (Keras's zero_output_for_mask). */
  zeroMasked: boolean;
}

/** One stack of a forward pass: its plan, its input x and its layers' tensors. */
export interface GatedForwardStack {
  d: GatedDims;
  x: tf.Tensor;
  inputs: readonly GatedLayerInputs[];
  /** Its place in a merged output (every stack of the pass has one, or none does). */
  merged?: MergedPlace;
}

/**
 * A stack's MergedSteps: its place, in the block, with its first layer's step mask (in the
 * input's order: the layers after it read theirs in its processing order).
 */
export function mergedSteps(
  place: MergedPlace,
  block: number,
  saved: readonly GatedSaved[],
): MergedSteps {
  const zeroMask = place.zeroMasked ? (saved.at(0)?.stepMask ?? 0) : 0;
  return { block, width: place.width, column: place.column, reverse: place.reverse, zeroMask };
}

/** A stack's buffers written in and its calls of each share, before the pass runs. */
interface PreparedForward {
  saved: GatedSaved[];
  jobs: KernelCall[][];
  sequence: number;
}

/**
 * Allocates a stack's buffers (recording them in `kept` and `scratch`) and writes its inputs;
 * with a merged output, its steps go to `mergedBlock`.
 */
function prepareForward(
  rt: KernelRuntime,
  { d, x, inputs, merged }: GatedForwardStack,
  kept: number[],
  scratch: number[],
  mergedBlock: number,
): PreparedForward {
  const { batch, steps, layers } = d;
  const first = layers[0];
  const last = layers[layers.length - 1];
  const stepRows = steps * batch;
  const [x0] = allocateOwned(rt, kept, [
    // 16 bytes past the end: the input-kernel gradient reads x 4 floats at a time.
    stepRows * first.features * 4 + 16,
  ]);
  const [xBatchMajor, sequence] = allocateOwned(rt, scratch, [
    stepRows * first.features * 4,
    last.returnSequences && merged === undefined ? stepRows * last.units * 4 : 0,
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
  const into = merged === undefined ? undefined : mergedSteps(merged, mergedBlock, saved);
  const jobs = d.slices.map((slice) =>
    gatedForwardCalls(d, saved, forwardScratch, xBatchMajor, sequence, slice, into),
  );
  return { saved, jobs, sequence };
}

/**
 * The jobs of independent stacks as one list, their shares taken in turn (each stack's shrink
 * towards the end of its batch, so the list does too): the threads claim them together, and
 * no stack waits for another.
 */
export function interleaveJobs(stacks: readonly (readonly KernelCall[][])[]): KernelCall[][] {
  const out: KernelCall[][] = [];
  const longest = Math.max(0, ...stacks.map((jobs) => jobs.length));
  for (let k = 0; k < longest; k++) {
    for (const jobs of stacks) if (k < jobs.length) out.push(jobs[k]);
  }
  return out;
}

/**
 * Runs every layer of each stack over its x, the shares of all the stacks claimed by the
 * threads together (see interleaveJobs). With `keep` the buffers the gradient needs stay (see
 * GatedKept), each stack's apart; with `lastStateValue` each value is its last layer's last h
 * instead of its output.
 */
export function gatedForwardStacks(
  rt: KernelRuntime,
  stacks: readonly GatedForwardStack[],
  { keep, lastStateValue }: { keep: boolean; lastStateValue: boolean },
): GatedForward[] {
  const kept = stacks.map((): number[] => []);
  const scratch = stacks.map((): number[] => []);
  try {
    // A merged output: one block for every stack's steps, the first stack's to free.
    const first = stacks.at(0);
    const place = first?.merged;
    const mergedBytes = first === undefined || place === undefined ? 0 : 4 * place.width;
    const [mergedBlock] = allocateOwned(rt, scratch.at(0) ?? [], [
      mergedBytes * (first?.d.batch ?? 0) * (first?.d.steps ?? 0),
    ]);
    const prepared = stacks.map((stack, k) =>
      prepareForward(rt, stack, kept[k], scratch[k], mergedBlock),
    );
    runJobs(rt, interleaveJobs(prepared.map((p) => p.jobs)));
    return stacks.map(({ d }, k) => {
      const { saved, sequence } = prepared[k];
      const { batch, steps, layers } = d;
      const last = layers[layers.length - 1];
      const lastSaved = saved[saved.length - 1];
      const lastStep = (steps - 1) * batch * last.ld * 4;
      const lastState = (j: number): tf.Tensor2D =>
        tensorFromRows<tf.Rank.R2>(
          rt,
          (j === 0 ? lastSaved.h : lastSaved.c) + lastStep,
          batch,
          last.units,
          last.ld,
          [batch, last.units],
        );
      const stepRows = steps * batch;
      const sequenceTensor = (): tf.Tensor3D =>
        tensorFrom<tf.Rank.R3>(
          rt.heap.f32.subarray(sequence >> 2, (sequence >> 2) + stepRows * last.units),
          [batch, steps, last.units],
        );
      const keptBuffers = kept[k].splice(0);
      const ownScratch = scratch[k];
      let finished = false;
      const mergedTensor = (): tf.Tensor3D => {
        const width = place?.width ?? 0;
        const at = mergedBlock >> 2;
        return tensorFrom<tf.Rank.R3>(rt.heap.f32.subarray(at, at + stepRows * width), [
          batch,
          steps,
          width,
        ]);
      };
      return {
        value: () => {
          if (place !== undefined) return mergedTensor();
          return sequence !== 0 && !lastStateValue ? sequenceTensor() : lastState(0);
        },
        saved: keep ? { layers: saved, kept: keepForGradient(keptBuffers) } : undefined,
        sequence: sequenceTensor,
        lastState,
        finish: () => {
          if (finished) return;
          finished = true;
          freeAll(rt, ownScratch.splice(0));
          if (!keep) freeAll(rt, keptBuffers);
        },
      };
    });
  } catch (err) {
    freeAll(rt, [...kept.flat(), ...scratch.flat()]);
    throw err;
  }
}

/** One stack's forward pass (see gatedForwardStacks). */
export function gatedForward(
  rt: KernelRuntime,
  d: GatedDims,
  x: tf.Tensor,
  inputs: readonly GatedLayerInputs[],
  options: { keep: boolean; lastStateValue: boolean },
): GatedForward {
  const [pass] = gatedForwardStacks(rt, [{ d, x, inputs }], options);
  return pass;
}
