/**
 * The backward pass of gated stacks in the kernels' memory (see gated_passes.ts for the
 * forward pass): the gradient of each stack's last output (and of its last states) written in,
 * one job per share of each stack's batch, all the stacks' shares claimed by the threads
 * together, then every stack's weights' gradients as one list of jobs.
 */
import type * as tf from '@tensorflow/tfjs';
import { RELEASED_MESSAGE, freeAll, release, tensorFromRows, writeRows } from './buffers';
import { gatedBackwardCalls } from './gated_calls';
import { type GatedDims, type GatedGradBlocks, gatedWeightGradJobs } from './gated_plan';
import {
  type GatedKept,
  type MergedPlace,
  allocateOwned,
  interleaveJobs,
  mergedSteps,
} from './gated_passes';
import type { StateTap } from '../state_taps';
import { runJobs, type KernelRuntime } from './runtime';
import { recordBytes, reportStateRecords } from './state_records';
import { runWeightGradJobs } from './stack_moves';
import { valuesOf } from './tensors';

/** What reaches the last layer in the backward pass (undefined: nothing, zeros). */
export interface GatedIncoming {
  /** The gradient of its output (every step, or the last). */
  output?: tf.Tensor;
  /** The gradients of its last states (Keras's order: h, c): h's adds to the last step's. */
  lastStates?: readonly (tf.Tensor | undefined)[];
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
 * One stack of a backward pass: its plan, what its forward pass kept, what reaches it. With a
 * merged output (see MergedPlace) the output's gradient is the merged sequence's, the same
 * tensor for every stack of the pass.
 */
export interface GatedBackwardStack {
  d: GatedDims;
  saved: GatedKept;
  incoming: GatedIncoming;
  merged?: MergedPlace;
  /** Each layer's tap (see state_taps.ts), when a recording is on. */
  taps?: readonly (StateTap | undefined)[];
}

/** A stack's gradient buffers, recorded in `owned`, and its calls of each share. */
interface PreparedBackward {
  grads: GatedGradBlocks[];
  dx: number;
  jobs: ReturnType<typeof gatedBackwardCalls>[];
}

function prepareBackward(
  rt: KernelRuntime,
  { d, saved, incoming, merged, taps }: GatedBackwardStack,
  owned: number[],
  mergedBlock: number,
): PreparedBackward {
  const { batch, steps, layers } = d;
  const first = layers[0];
  const last = layers[layers.length - 1];
  const [dyDense, dx] = allocateOwned(rt, owned, [
    last.returnSequences && merged === undefined ? steps * batch * last.units * 4 : 0,
    batch * steps * first.ldf * 4,
  ]);
  const grads = layers.map((l, i): GatedGradBlocks => {
    const row = l.ld * 4;
    const gated = l.kind !== 'SimpleRNN';
    // Every layer but the last gets the gradient of all of its states from the next one.
    const dyRows = i < layers.length - 1 || l.returnSequences ? steps * batch : batch;
    const masked = l.hasStepMask;
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
        masked ? batch * row : 0,
      ],
    );
    // The products over each step's running rows (see GatedGradBlocks).
    const [rows, packA, packB, packC, packDx] = allocateOwned(rt, owned, [
      masked ? batch * 4 : 0,
      masked ? batch * l.gl * 4 : 0,
      masked ? batch * row : 0,
      masked ? batch * row : 0,
      masked ? batch * l.ldf * 4 : 0,
    ]);
    const tap = taps?.[i];
    const [recH, recC] = allocateOwned(rt, owned, [
      recordBytes(tap, [steps, batch, l.ld]),
      l.kind === 'LSTM' ? recordBytes(tap, [steps, batch, l.ld]) : 0,
    ]);
    const s = saved.layers[i];
    rt.exports.transposePacked(s.u, l.units, l.gl, l.gl, ut, l.ld);
    rt.exports.transposePacked(s.win, l.features, l.gl, l.gl, wint, l.ldf);
    // An LSTM's dC holds c_T's gradient when its pass starts: none but the last layer's.
    if (l.kind === 'LSTM') rt.heap.f32.fill(0, dc >> 2, (dc >> 2) + batch * l.ld);
    return {
      ...{ dY, ut, wint, dh, dc, dq, dh0, dwin, du, db, dh2, dxTmp, carry },
      ...{ rows, packA, packB, packC, packDx, recH, recC },
    };
  });
  // A merged output's gradient is in mergedBlock already; its last states have none.
  if (merged === undefined) writeIncoming(rt, d, grads[grads.length - 1], dyDense, incoming);
  const from = merged === undefined ? undefined : mergedSteps(merged, mergedBlock, saved.layers);
  const jobs = d.slices.map((slice) =>
    gatedBackwardCalls(d, saved.layers, grads, dyDense, dx, slice, from),
  );
  return { grads, dx, jobs };
}

/**
 * A stack's gradients as tensors: by x, then each layer's W, U, (with a bias) b and (with
 * initial states) h0 and an LSTM's c0.
 */
function gradientTensors(rt: KernelRuntime, d: GatedDims, p: PreparedBackward): tf.Tensor[] {
  const { batch, steps, layers } = d;
  const first = layers[0];
  const out: tf.Tensor[] = [
    tensorFromRows<tf.Rank.R3>(rt, p.dx, batch * steps, first.features, first.ldf, [
      batch,
      steps,
      first.features,
    ]),
  ];
  layers.forEach((l, i) => {
    const { features, units, ld, gates } = l;
    const g = p.grads[i];
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
}

/**
 * Back-propagates independent stacks together, their shares claimed by the threads as one
 * list (see interleaveJobs), then all their weights' gradients; each stack's gradients (see
 * gradientTensors). Frees what every stack's forward pass kept, whatever happens.
 */
export function gatedBackwardStacks(
  rt: KernelRuntime,
  stacks: readonly GatedBackwardStack[],
  subject: string,
): tf.Tensor[][] {
  const owned: number[] = [];
  try {
    if (stacks.some(({ saved }) => saved.kept.released)) {
      throw new Error(`${subject}: ${RELEASED_MESSAGE}`);
    }
    // A merged output's gradient, written once for every stack (zeros without one).
    const first = stacks.at(0);
    const place = first?.merged;
    const mergedSize =
      first === undefined || place === undefined ? 0 : first.d.batch * first.d.steps * place.width;
    const [mergedBlock] = allocateOwned(rt, owned, [mergedSize * 4]);
    if (mergedSize > 0) {
      const output = first?.incoming.output;
      if (output !== undefined) rt.heap.f32.set(valuesOf(output), mergedBlock >> 2);
      else rt.heap.f32.fill(0, mergedBlock >> 2, (mergedBlock >> 2) + mergedSize);
    }
    const prepared = stacks.map((stack) => prepareBackward(rt, stack, owned, mergedBlock));
    runJobs(rt, interleaveJobs(prepared.map((p) => p.jobs)));
    runWeightGradJobs(
      rt,
      gatedWeightGradJobs(
        stacks.map(({ d, saved }, k) => ({ d, s: saved.layers, g: prepared[k].grads })),
        (sizes) => allocateOwned(rt, owned, sizes),
      ),
    );
    stacks.forEach(({ d, taps }, k) => {
      const records = d.layers.map((l, i) => {
        const tap = taps?.[i];
        const { recH, recC } = prepared[k].grads[i];
        return tap && { tap, h: recH, c: recC, units: l.units, ld: l.ld };
      });
      reportStateRecords(rt, records, d.steps, d.batch);
    });
    return stacks.map(({ d }, k) => gradientTensors(rt, d, prepared[k]));
  } finally {
    freeAll(rt, owned);
    for (const { saved } of stacks) release(rt, saved.kept);
  }
}

/** One stack's gradients (see gatedBackwardStacks). */
export function gatedBackward(
  rt: KernelRuntime,
  d: GatedDims,
  saved: GatedKept,
  incoming: GatedIncoming,
  subject: string,
  taps?: readonly (StateTap | undefined)[],
): tf.Tensor[] {
  const [grads] = gatedBackwardStacks(rt, [{ d, saved, incoming, taps }], subject);
  return grads;
}
