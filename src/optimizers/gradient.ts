/**
 * One variable's gradient as Keras's update rules see it, and Keras's gradient clipping.
 *
 * A gradient is dense, or (for an embedding table in training) one row per lookup, Keras's
 * `IndexedSlices` (see indexed_slices.ts). Elementwise ops then act on each row before the rows
 * of one id are summed; `value` is the plain sum, what tfjs's autodiff gives.
 */
import * as tf from '@tensorflow/tfjs';
import { valuesOf } from '../kernels/wasm/tensors';
import type { LookupRows } from './adam_step_values';
import { type IndexedSlices, segmentSum } from './indexed_slices';

/**
 * A dense gradient, or per-lookup rows of a `[numRows, ...]` table.
 *
 * Porting note: where Keras's rule is linear in the gradient (`lr * g / sqrt(acc + eps)`, SGD,
 * momentum), Keras scatters per-row products and this uses the summed gradient: the same up to
 * float32 rounding. Where it is not (squares, absolute values, clipping), the rows are used.
 */
export class Gradient {
  private summed: tf.Tensor | null;

  private constructor(
    dense: tf.Tensor | null,
    /** The per-lookup rows, or null for a dense gradient. */
    readonly slices: IndexedSlices | null,
    private readonly numRows: number,
  ) {
    this.summed = dense;
  }

  static dense(value: tf.Tensor): Gradient {
    return new Gradient(value, null, value.shape[0] ?? 0);
  }

  static rows(slices: IndexedSlices, numRows: number): Gradient {
    return new Gradient(null, slices, numRows);
  }

  /** The gradient summed per element: rows of the same id added. */
  get value(): tf.Tensor {
    if (this.summed === null) {
      const slices = this.slices as IndexedSlices;
      this.summed = segmentSum(slices.values, slices.indices, this.numRows);
    }
    return this.summed;
  }

  /**
   * `fn` applied elementwise, then summed per id: Keras's `ops.fn(gradient)` on IndexedSlices
   * added into a dense tensor. `operands` are dense tensors of the variable's shape that `fn`
   * reads at the same elements (gathered at each row's id for IndexedSlices).
   */
  mapSum(fn: (g: tf.Tensor, ...operands: tf.Tensor[]) => tf.Tensor, ...operands: tf.Tensor[]) {
    if (this.slices === null) return fn(this.value, ...operands);
    const { indices, values } = this.slices;
    const gathered = operands.map((o) => tf.gather(o, indices));
    return segmentSum(fn(values, ...gathered), indices, this.numRows);
  }

  /**
   * The per-lookup rows' values (for a step outside tfjs, see adam_step_values.ts), or undefined
   * for a dense gradient or when an id is outside the table (left to tfjs's scatterND and its
   * error).
   */
  lookupRows(): LookupRows | undefined {
    if (this.slices === null) return undefined;
    const ids = valuesOf(this.slices.indices);
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < this.numRows)) return undefined;
    }
    return { ids, rows: valuesOf(this.slices.values) };
  }

  /** Keras's `ops.square(gradient)`, summed per id. */
  square(): tf.Tensor {
    return this.mapSum((g) => tf.square(g));
  }

  /** Keras's `ops.abs(gradient)`, summed per id. */
  abs(): tf.Tensor {
    return this.mapSum((g) => tf.abs(g));
  }

  /** The sum of the squared elements (of every row for IndexedSlices), as Keras's norms take it. */
  sumOfSquares(): tf.Scalar {
    return tf.sum(tf.square(this.slices === null ? this.value : this.slices.values));
  }

  /** The gradient with `fn` applied to each element (to each row: the rows are kept). */
  map(fn: (g: tf.Tensor) => tf.Tensor): Gradient {
    if (this.slices === null) return Gradient.dense(fn(this.value));
    return Gradient.rows(
      { indices: this.slices.indices, values: fn(this.slices.values) },
      this.numRows,
    );
  }
}

/** Keras's clipping options; at most one is set. */
export interface ClipOptions {
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
}

/**
 * Keras's `_clip_gradients`, in its order of precedence; an option of 0 does not clip.
 * - clipnorm: each gradient times `clipnorm / max(||g||, clipnorm)` (TensorFlow's
 *   `clip_by_norm`; per-lookup rows stay rows and the norm is over the rows);
 * - globalClipnorm: every gradient times `c * min(1 / ||all||, 1 / c)` (NaN when the global
 *   norm is not finite), after which per-lookup rows are summed;
 * - clipvalue: each element (each row's) clipped to [-clipvalue, clipvalue].
 */
export function clipGradients(gradients: readonly Gradient[], options: ClipOptions): Gradient[] {
  const { clipnorm, clipvalue, globalClipnorm } = options;
  if (clipnorm !== null && clipnorm > 0) {
    return gradients.map((g) => {
      const norm = tf.sqrt(g.sumOfSquares());
      const bound = tf.maximum(norm, clipnorm);
      return g.map((x) => tf.div(tf.mul(x, clipnorm), bound));
    });
  }
  if (globalClipnorm !== null && globalClipnorm > 0) {
    const norm = tf.sqrt(tf.sum(tf.stack(gradients.map((g) => g.sumOfSquares()))));
    const finite = tf.mul(globalClipnorm, tf.minimum(tf.div(1, norm), 1 / globalClipnorm));
    const scale = tf.add(finite, tf.sub(norm, norm));
    return gradients.map((g) => Gradient.dense(tf.mul(g.value, scale)));
  }
  if (clipvalue !== null && clipvalue > 0) {
    return gradients.map((g) => g.map((x) => tf.clipByValue(x, -clipvalue, clipvalue)));
  }
  return [...gradients];
}
