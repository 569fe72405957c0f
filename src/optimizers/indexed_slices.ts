/**
 * Keras's `IndexedSlices` gradients of embedding tables, in tfjs.
 *
 * In Keras (TensorFlow backend) the gradient of a table read by a lookup is an `IndexedSlices`:
 * one row per lookup, not yet summed per id. Keras's update rules apply their elementwise ops
 * (`ops.square`, `ops.abs`, clipping) to each row before the rows of one id are added, so
 * Adam's and RMSprop's second moment and Adagrad's accumulator add the SUM OF THE SQUARED ROWS
 * of an id, not the square of their sum, and Adamax's `u` the sum of their absolute values.
 * It shows whenever an id repeats within a batch.
 *
 * - `recordLookupRows(name, ids, rows)` is the hook an embedding lookup's gradient function
 *   calls with the rows it is about to sum per id (src/kernels/embedding.ts);
 * - `recordIndexedSlices(fn)` runs `fn` (a gradient computation) and returns the rows recorded
 *   per table variable. `KerasOptimizer.computeGradients` (and so tfjs's `minimize`) does
 *   this, and its next `applyGradients` uses them.
 */
import * as tf from '@tensorflow/tfjs';

/** A gradient as one row per lookup: row `i` of `values` belongs to row `indices[i]` of the table. */
export interface IndexedSlices {
  /** The table row of each lookup, int32 `[n]`. */
  readonly indices: tf.Tensor1D;
  /** The gradient of each looked-up row, `[n, ...table.shape.slice(1)]`. */
  readonly values: tf.Tensor;
}

/**
 * The rows of `values` summed per index into `numRows` rows: TensorFlow's unsorted segment
 * sum. Built on `scatterND`, which sums repeated indices on every backend (tfjs-backend-wasm
 * 4.22 has no `UnsortedSegmentSum` kernel).
 */
export function segmentSum(values: tf.Tensor, indices: tf.Tensor1D, numRows: number): tf.Tensor {
  return tf.tidy(() =>
    tf.scatterND(tf.expandDims(indices, 1), values, [numRows, ...values.shape.slice(1)]),
  );
}

/** Rows recorded for one variable, possibly by several lookups. */
interface Recorded {
  indices: tf.Tensor1D[];
  values: tf.Tensor[];
}

/** The recording `gatherRows` adds to, or null outside `recordIndexedSlices`. */
let active: Map<string, Recorded> | null = null;

function disposeRecorded(recorded: Map<string, Recorded>): void {
  for (const { indices, values } of recorded.values()) tf.dispose([...indices, ...values]);
}

/** Disposes the tensors of every entry. */
export function disposeIndexedSlices(slices: ReadonlyMap<string, IndexedSlices>): void {
  for (const { indices, values } of slices.values()) tf.dispose([indices, values]);
}

/**
 * Runs `fn` (typically `tf.variableGrads(...)`) and returns its result with the per-lookup
 * rows that `gatherRows` recorded during it, by table variable name. The caller owns (disposes)
 * the recorded tensors; when `fn` throws, they are disposed and the error is rethrown.
 */
export function recordIndexedSlices<T>(fn: () => T): {
  result: T;
  slices: Map<string, IndexedSlices>;
} {
  const previous = active;
  const recording = new Map<string, Recorded>();
  active = recording;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    disposeRecorded(recording);
    throw err;
  } finally {
    active = previous;
  }
  const slices = new Map<string, IndexedSlices>();
  for (const [name, { indices, values }] of recording) {
    if (indices.length === 1) {
      slices.set(name, { indices: indices[0], values: values[0] });
    } else {
      slices.set(name, { indices: tf.concat(indices), values: tf.concat(values) });
      tf.dispose([...indices, ...values]);
    }
  }
  return { result, slices };
}

/**
 * Records the per-lookup rows of a table's gradient while a recording is active (inside
 * `recordIndexedSlices`, e.g. `KerasOptimizer.computeGradients`); does nothing otherwise.
 * An embedding lookup's gradient function calls it with the table variable's name, the ids it
 * looked up (int32, any shape) and the gradient of the looked-up rows
 * (`[...ids.shape, ...rowShape]`). The rows are copied; the caller keeps its tensors.
 */
export function recordLookupRows(variableName: string, ids: tf.Tensor, rows: tf.Tensor): void {
  const recording = active;
  if (recording === null) return;
  const n = ids.size;
  const rowShape = rows.shape.slice(ids.rank);
  const entry = recording.get(variableName) ?? { indices: [], values: [] };
  entry.indices.push(tf.keep(tf.tidy(() => tf.reshape(tf.cast(ids, 'int32'), [n]))));
  entry.values.push(tf.keep(tf.tidy(() => tf.reshape(rows, [n, ...rowShape]))));
  recording.set(variableName, entry);
}
