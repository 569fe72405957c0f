/**
 * What the ops share: copying rows in and out of the kernels' padded buffers, splitting work
 * over threads, and the lifetime of the buffers a forward pass keeps for its gradient.
 *
 * Those buffers are freed at the end of the forward pass when no gradient tape is recording
 * (inference keeps nothing), else when the gradient has run, else as soon as the tape they were
 * recorded on is over without running it (checked at every call of an op).
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError, formatShape } from '../../errors';
import { getThreads, type KernelRuntime } from './runtime';
import { tensorFrom } from './tensors';

/** A share of the batch worth a thread: at least this many multiply-adds per pass. */
const MIN_WORK_PER_THREAD = 1 << 20;

/** n rounded up to a multiple of 4: the row stride (floats) of the kernels' buffers. */
export function padded(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** [first, count] of `parts` shares of `rows` rows, each a multiple of 4 but the last. */
export function splitRows(rows: number, parts: number): [number, number][] {
  const per = padded(Math.ceil(rows / parts));
  const shares: [number, number][] = [];
  for (let first = 0; first < rows; first += per) {
    shares.push([first, Math.min(per, rows - first)]);
  }
  return shares;
}

/**
 * How a batch is split for threads that claim shares as they come free: each share is this
 * fraction of the rows still unassigned divided by the threads, so the shares shrink towards
 * the end (guided scheduling). A thread that runs slower (a core shared with other work, a
 * worker still waking up) takes fewer, and the last shares are small, so the threads finish
 * close together. Four shares per thread of equal size left ~2% more waiting at the end of
 * each pass (stock model, 2 threads).
 */
const SHARE_OF_REMAINING = 1 / 2;
/** At most this many shares, however many threads: their jobs must fit the pool's job list. */
export const MAX_SHARES = 64;

/**
 * The batch's shares: one when `work` multiply-adds are not worth a second thread, else shares
 * of decreasing size (see SHARE_OF_REMAINING), each a multiple of 4 rows but the last and at
 * least `minRows` rows, at most `maxShares` of them (a pass whose jobs are long lists of calls
 * can fit fewer in the job list).
 */
export function planSlices(
  batch: number,
  work: number,
  maxShares: number = MAX_SHARES,
  minRows = 4,
): [number, number][] {
  const most = Math.max(1, Math.min(MAX_SHARES, Math.floor(maxShares)));
  const threads = Math.min(
    getThreads(),
    Math.floor(work / MIN_WORK_PER_THREAD),
    Math.ceil(batch / 4),
    most,
  );
  if (threads <= 1) return [[0, batch]];
  const smallest = padded(Math.max(Math.ceil(batch / most), minRows));
  const shares: [number, number][] = [];
  for (let first = 0; first < batch;) {
    const guided = padded(Math.ceil(((batch - first) * SHARE_OF_REMAINING) / threads));
    const rows = Math.min(Math.max(guided, smallest), batch - first);
    shares.push([first, rows]);
    first += rows;
  }
  return shares;
}

/** Copies `rows` rows of `n` values into a buffer of row stride `ld` (padding zeroed). */
export function writeRows(
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

/** A new tensor of `rows` rows of `n` floats from a buffer of row stride `ld`. */
export function tensorFromRows<R extends tf.Rank>(
  rt: KernelRuntime,
  ptr: number,
  rows: number,
  n: number,
  ld: number,
  shape: tf.ShapeMap[R],
): tf.Tensor<R> {
  if (n === ld) return tensorFrom<R>(rt.heap.f32.subarray(ptr >> 2, (ptr >> 2) + rows * n), shape);
  const tmp = rt.heap.alloc(rows * n * 4);
  try {
    rt.exports.unpackRows(ptr, rows, n, ld, tmp);
    return tensorFrom<R>(rt.heap.f32.subarray(tmp >> 2, (tmp >> 2) + rows * n), shape);
  } finally {
    rt.heap.free(tmp);
  }
}

/** One offset per size, in the same places: `[a, b] = allocate(rt, [sizeA, sizeB])`. */
export type Blocks<S extends readonly number[]> = { -readonly [K in keyof S]: number };

/** One block per size (0 bytes: no block, offset 0), all or none. */
export function allocate<const S extends readonly number[]>(
  rt: KernelRuntime,
  sizes: S,
): Blocks<S> {
  const out: number[] = [];
  try {
    for (const s of sizes) out.push(s > 0 ? rt.heap.alloc(s) : 0);
  } catch (err) {
    freeAll(rt, out);
    throw err;
  }
  return out as Blocks<S>;
}

export function freeAll(rt: KernelRuntime, ptrs: readonly number[]): void {
  for (const ptr of ptrs) if (ptr !== 0) rt.heap.free(ptr);
}

/** Buffers kept from a forward pass for its gradient. */
export interface KeptBuffers {
  readonly buffers: readonly number[];
  /** The gradient tape the pass was recorded on. */
  readonly tape: unknown;
  released: boolean;
}

const pending = new Set<KeptBuffers>();

/** Registers `buffers` as waiting for the gradient of a pass recorded on the current tape. */
export function keepForGradient(buffers: readonly number[]): KeptBuffers {
  const kept: KeptBuffers = { buffers, tape: tf.engine().state.activeTape, released: false };
  pending.add(kept);
  return kept;
}

export function release(rt: KernelRuntime, kept: KeptBuffers): void {
  if (kept.released) return;
  kept.released = true;
  pending.delete(kept);
  freeAll(rt, kept.buffers);
}

/** Frees the buffers of forward passes whose tape is over without having run their gradient. */
export function releaseFinishedTapes(rt: KernelRuntime): void {
  const tape: unknown = tf.engine().state.activeTape;
  for (const kept of pending) {
    if (kept.tape !== tape) release(rt, kept);
  }
}

/** Forward passes whose buffers wait for a gradient. */
export function pendingGradientCount(): number {
  return pending.size;
}

export const RELEASED_MESSAGE =
  'the gradient ran after its forward buffers were released (it can run once, on the tape that recorded the forward pass).';

const ACTIVATION_CODES: Partial<Record<string, number>> = {
  linear: 0,
  tanh: 1,
  sigmoid: 2,
  relu: 3,
};

/** The kernels' code for an activation: 0 linear, 1 tanh, 2 sigmoid, 3 relu. */
export function activationCode(subject: string, name: string): number {
  const code = ACTIVATION_CODES[name];
  if (code === undefined) {
    throw new ValueError(
      `${subject}: expected activation 'tanh', 'sigmoid', 'relu' or 'linear', received ${JSON.stringify(name)}.`,
    );
  }
  return code;
}

export function checkShape(
  subject: string,
  name: string,
  tensor: tf.Tensor,
  expected: readonly number[],
): void {
  const ok =
    tensor.shape.length === expected.length && tensor.shape.every((d, i) => d === expected[i]);
  if (!ok) {
    throw new ValueError(
      `${subject}: expected ${name} of shape ${formatShape(expected)}, received ${formatShape(tensor.shape)}.`,
    );
  }
}
