/**
 * A Dense layer on the last state of a SimpleRNN stack, run inside the stack's op: its product
 * x · kernel + bias reads the last states where the forward pass left them, and its gradient
 * writes the last states' gradient where the backward pass reads it. The same kernel calls as
 * the Dense op (dense.ts) on the same values, so the same numbers bit for bit; what it saves
 * is the tensors between the two ops (the stack's output, the Dense's input gradient) and a
 * second op's copies and bookkeeping, ~0.3 ms of a stock batch on the wasm backend.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors';
import { allocate, checkShape, freeAll, padded, tensorFromRows, writeRows } from './buffers';
import {
  type DenseRows,
  denseGradientRows,
  denseProductRows,
  denseWeightGradTensors,
  writeDenseWeights,
} from './dense';
import type { KernelRuntime } from './runtime';
import { valuesOf } from './tensors';

/** A Dense layer's weights: kernel [units of the stack's last layer, units], bias [units]. */
export interface SimpleRnnStackHead {
  kernel: tf.Tensor;
  bias: tf.Tensor | null;
}

/** The head's sizes: its features are the last layer's units, rows padded as the states'. */
export interface HeadDims {
  features: number;
  ldf: number;
  units: number;
  ld: number;
  hasBias: boolean;
}

/** What the head keeps for its gradient: its input (the last states, dense) and its kernel. */
export interface HeadSaved {
  x: number;
  w: number;
}

/** Checks the head against the stack's last layer; its sizes. */
export function headDims(
  subject: string,
  head: SimpleRnnStackHead,
  lastUnits: number,
  lastReturnsSequences: boolean,
): HeadDims {
  if (lastReturnsSequences) {
    throw new ValueError(
      `${subject}: a Dense head reads the last layer's last state; that layer returns sequences.`,
    );
  }
  const units = (head.kernel.shape as readonly number[])[1] ?? 0;
  checkShape(`${subject} (Dense head)`, 'kernel', head.kernel, [lastUnits, units]);
  if (head.bias !== null) checkShape(`${subject} (Dense head)`, 'bias', head.bias, [units]);
  if (units < 1) {
    throw new ValueError(`${subject}: a Dense head needs at least one unit, received 0.`);
  }
  return {
    features: lastUnits,
    ldf: padded(lastUnits),
    units,
    ld: padded(units),
    hasBias: head.bias !== null,
  };
}

/**
 * The head's output [batch, units] from the last states at `states` (row stride h.ldf). Its
 * kept buffers go into `owned` (the caller frees or keeps them with the stack's).
 */
export function headForward(
  rt: KernelRuntime,
  h: HeadDims,
  batch: number,
  states: number,
  kernel: tf.Tensor,
  bias: tf.Tensor | undefined,
  owned: number[],
): { value: tf.Tensor2D; saved: HeadSaved } {
  const [x, w] = allocate(rt, [
    // 16 bytes past the end, as the Dense op's x: the input-kernel gradient reads 4 at a time.
    batch * h.ldf * 4 + 16,
    h.features * h.ld * 4,
  ]);
  owned.push(x, w);
  const [b, out] = allocate(rt, [h.hasBias ? h.ld * 4 : 0, batch * h.ld * 4]);
  try {
    const f32 = rt.heap.f32;
    f32.copyWithin(x >> 2, states >> 2, (states >> 2) + batch * h.ldf);
    // Zero padding, as the Dense op's copy of its input has.
    for (let r = 0; r < batch; r++) {
      f32.fill(0, (x >> 2) + r * h.ldf + h.features, (x >> 2) + (r + 1) * h.ldf);
    }
    f32.fill(0, (x >> 2) + batch * h.ldf, (x >> 2) + batch * h.ldf + 4);
    const d: DenseRows = { rows: batch, ...h };
    writeDenseWeights(rt, d, kernel, bias, w, b);
    denseProductRows(rt, d, x, w, b, out);
    const value = tensorFromRows<tf.Rank.R2>(rt, out, batch, h.units, h.ld, [batch, h.units]);
    return { value, saved: { x, w } };
  } finally {
    freeAll(rt, [b, out]);
  }
}

/** Where the head's weight gradients are, until they become tensors. */
export interface HeadGradBlocks {
  dw: number;
  db: number;
}

/**
 * From dy [batch, units]: the last states' gradient, written at `dStates` (row stride h.ldf),
 * and the kernel's and bias's gradients in blocks added to `owned`.
 */
export function headBackward(
  rt: KernelRuntime,
  h: HeadDims,
  batch: number,
  saved: HeadSaved,
  dy: tf.Tensor,
  dStates: number,
  owned: number[],
): HeadGradBlocks {
  const [dw, db] = allocate(rt, [h.ldf * h.ld * 4, h.hasBias ? h.ld * 4 : 0]);
  owned.push(dw, db);
  const [dyp] = allocate(rt, [batch * h.ld * 4]);
  try {
    writeRows(rt, dyp, valuesOf(dy), batch, h.units, h.ld);
    denseGradientRows(rt, { rows: batch, ...h }, saved.x, saved.w, dyp, dStates, dw, db);
    return { dw, db };
  } finally {
    freeAll(rt, [dyp]);
  }
}

/** The head's kernel and (with a bias) bias gradients as tensors. */
export function headGradTensors(rt: KernelRuntime, h: HeadDims, g: HeadGradBlocks): tf.Tensor[] {
  return denseWeightGradTensors(rt, { rows: 0, ...h }, g.dw, g.db);
}
