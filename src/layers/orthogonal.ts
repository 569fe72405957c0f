/**
 * Keras's Orthogonal initializer: the Q of the QR decomposition of a standard normal matrix,
 * with the sign of R's diagonal folded in (so Q is the unique factor with a positive diagonal
 * R), transposed for wide shapes, times `gain`.
 *
 * Porting note: tfjs's `orthogonal` runs Gram-Schmidt as tensor ops and warns ("Slowness may
 * result") for more than 2000 elements, which the 80- and 100-unit stock model hits; this one
 * orthogonalizes in float64 JavaScript in milliseconds and prints nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { optionKeys } from '../option_keys';
import type { Initializer } from './initializers';

/** Orthonormalizes the columns of `a` (rows x cols, rows >= cols, column-major) in place. */
function orthonormalizeColumns(a: Float64Array, rows: number, cols: number): void {
  for (let j = 0; j < cols; j++) {
    const cj = j * rows;
    for (let k = 0; k < j; k++) {
      const ck = k * rows;
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += (a[ck + i] ?? 0) * (a[cj + i] ?? 0);
      for (let i = 0; i < rows; i++) a[cj + i] = (a[cj + i] ?? 0) - dot * (a[ck + i] ?? 0);
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += (a[cj + i] ?? 0) ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < rows; i++) a[cj + i] = (a[cj + i] ?? 0) / norm;
  }
}

/** A [rows, cols] float32 matrix with orthonormal rows or columns (whichever are fewer). */
export function orthogonalMatrix(
  rows: number,
  cols: number,
  gain: number,
  seed?: number,
): Float32Array {
  const tall = rows >= cols;
  const [m, n] = tall ? [rows, cols] : [cols, rows];
  const normal = tf.tidy(() => tf.randomNormal([n, m], 0, 1, 'float32', seed).dataSync());
  // Column-major m x n: column j is normal[j * m .. j * m + m).
  const q = Float64Array.from(normal);
  orthonormalizeColumns(q, m, n);
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      const value = gain * (q[j * m + i] ?? 0);
      // Tall: out[i][j] = Q[i][j]. Wide: out = Q^T, out[j][i] = Q[i][j].
      if (tall) out[i * cols + j] = value;
      else out[j * cols + i] = value;
    }
  }
  return out;
}

/** The base class of tfjs initializers, which tfjs does not export by name. */
export const InitializerBase = Object.getPrototypeOf(
  tf.initializers.zeros().constructor,
) as new () => Initializer;

/** Keras's `Orthogonal(gain=1.0)` for weights of shape [..., cols] (leading axes flattened). */
export class KerasOrthogonal extends InitializerBase {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'KerasOrthogonal';

  constructor(
    private readonly gain = 1,
    private readonly seed?: number,
  ) {
    super();
  }

  override apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    if (shape.length < 2) {
      throw new Error(
        `orthogonal: expected a shape of rank 2 or more, received [${shape.join(', ')}].`,
      );
    }
    const cols = shape[shape.length - 1] ?? 1;
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return tf.tensor(orthogonalMatrix(rows, cols, this.gain, this.seed), shape, dtype ?? 'float32');
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { gain: this.gain, seed: this.seed ?? null };
  }

  /** Rebuilds it from `getConfig()`, as tfjs's deserializer does (a layer copied from its config). */
  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const gain = typeof config.gain === 'number' ? config.gain : 1;
    const seed = typeof config.seed === 'number' ? config.seed : undefined;
    return new (cls as unknown as typeof KerasOrthogonal)(gain, seed) as unknown as T;
  }
}

tf.serialization.registerClass(KerasOrthogonal);

/** Options of `orthogonalInitializer`. */
export interface OrthogonalArgs {
  /** Multiplies the orthogonal matrix. Default: 1. */
  gain?: number;
  /** Seed of the normal draw, for reproducible weights (Keras's `seed`). Default: none. */
  seed?: number;
}

/** The keys of OrthogonalArgs. */
const ORTHOGONAL_OPTIONS = optionKeys<OrthogonalArgs>({ gain: true, seed: true });

/**
 * Keras's `keras.initializers.Orthogonal(gain, seed)`, e.g. a seeded
 * `recurrentInitializer: orthogonalInitializer({ seed: 42 })`.
 */
export function orthogonalInitializer(args: OrthogonalArgs = {}): Initializer {
  ORTHOGONAL_OPTIONS.check('orthogonalInitializer', args);
  return new KerasOrthogonal(args.gain ?? 1, args.seed);
}
