/**
 * The Embedding lookup: rows of a [inputDim, outputDim] table picked by integer indices, with
 * its gradient written by hand (`tf.customGrad`) as one scatter-add of the output gradient's
 * rows into the table's shape.
 *
 * tfjs's own gradient of `gather` needs the UnsortedSegmentSum kernel, which the wasm backend
 * does not have, so an Embedding could not train there. scatterND sums the rows of repeated
 * indices on every backend, which is the dense gradient Keras applies.
 */
import * as tf from '@tensorflow/tfjs';
import { recordLookupRows } from '../optimizers/indexed_slices';
import { copyRowsFromWasmBackend } from './wasm/tensors';

/**
 * The rows `indices` of `table`. On the wasm backend, copied in JavaScript straight out of its
 * memory: its gather took 12 ms for an IMDB-shaped batch (64 x 80 lookups of 64 values), the
 * copy well under 1 ms. tf.gather elsewhere, and for an index outside the table (whatever
 * tf.gather does with it).
 */
function pickRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  if (tf.getBackend() === 'wasm') {
    const rows = indices.dataSync();
    const inRange = rows.every((r) => r >= 0 && r < table.shape[0]);
    const ids = rows instanceof Int32Array ? rows : Int32Array.from(rows);
    const copied = inRange ? copyRowsFromWasmBackend(table, ids) : undefined;
    if (copied !== undefined) return copied as tf.Tensor2D;
  }
  return tf.gather(table, indices);
}

/**
 * `table[indices]`: int32 `indices` of any shape -> `[...indices.shape, outputDim]`. With
 * `variableName` (the table variable's), the backward pass also records the per-lookup rows for
 * Keras's optimizers (src/optimizers/indexed_slices.ts).
 */
export function embeddingLookup(
  table: tf.Tensor2D,
  indices: tf.Tensor,
  variableName?: string,
): tf.Tensor {
  const [inputDim, outputDim] = table.shape;
  const flat = tf.reshape<tf.Rank.R1>(indices, [-1]);
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const weights = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    save([flat]);
    return {
      value: pickRows(weights, flat),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [rows] = saved as [tf.Tensor1D];
        // Keras's optimizers see this gradient as one row per lookup (IndexedSlices).
        if (variableName !== undefined) recordLookupRows(variableName, rows, dy);
        return tf.scatterND(tf.expandDims(rows, 1), dy, [inputDim, outputDim]);
      },
    };
  });
  return tf.reshape(lookup(table), [...indices.shape, outputDim]);
}
