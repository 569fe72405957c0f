/**
 * Where the kernels' backward passes record the state gradients a tap asks for (see
 * kernels/state_taps.ts), and the norms read back from there.
 */
import { type StateTap, stepNormsOf } from '../state_taps';
import type { KernelRuntime } from './runtime';

/** One layer's record buffers: [steps, batch, ld] floats each, in processing order (0: none). */
export interface StateRecord {
  tap: StateTap;
  /** The gradient of every step's h. */
  h: number;
  /** An LSTM's of every step's c (0 for other kinds). */
  c: number;
  units: number;
  ld: number;
}

/** The bytes of one record buffer: [steps, batch, ld] floats, or 0 without a tap. */
export function recordBytes(
  tap: StateTap | undefined,
  [steps, batch, ld]: readonly [number, number, number],
): number {
  return tap === undefined ? 0 : steps * batch * ld * 4;
}

/** Reads each record's per-step norms and gives them to its tap. */
export function reportStateRecords(
  rt: KernelRuntime,
  records: readonly (StateRecord | undefined)[],
  steps: number,
  batch: number,
): void {
  for (const record of records) {
    if (record === undefined) continue;
    const { tap, units, ld } = record;
    const dims = [steps, batch, units, ld] as const;
    const size = steps * batch * ld;
    const norms = (ptr: number) =>
      stepNormsOf(rt.heap.f32.subarray(ptr >> 2, (ptr >> 2) + size), dims);
    tap.record(norms(record.h), record.c === 0 ? undefined : norms(record.c));
  }
}
