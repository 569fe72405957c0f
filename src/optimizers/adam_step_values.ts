/**
 * Keras's Adam step for one small variable with a dense gradient, or an embedding table of any
 * size with per-lookup rows, computed outside tfjs (in the WebAssembly kernels' module where it
 * loads, else in JavaScript) instead of as a dozen tfjs ops. A batch of the stock model spent
 * ~3 ms in the ~90 tfjs calls of its seven Adam updates; reading the four arrays and making
 * three tensors costs a fraction of that.
 *
 * Every operation is rounded to float32 as tfjs's op for it rounds (each op is one IEEE float32
 * operation on every backend; a double-precision result of a float32 +, -, *, / or sqrt rounds
 * to the same float32), in the order of `Adam.updateStep`'s ops, so the results are the same,
 * bit for bit, as that tfjs path (tested).
 */
import { wasmAdamStepValues, wasmKernelAvailable } from '../kernels/wasm';

const f32 = Math.fround;

/** Variables up to this many elements update here rather than through tfjs ops. */
export const ADAM_OUTSIDE_TFJS_MAX_SIZE = 1 << 16;

export interface AdamStepConstants {
  /** float32(1 - beta1), float32(1 - beta2), as tfjs makes the scalars. */
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  /** The bias-corrected step size (a float32 value). */
  alpha: number;
  /** float32(epsilon). */
  epsilon: number;
}

/**
 * An embedding table's gradient as one row per lookup (Keras's IndexedSlices, see
 * src/optimizers/indexed_slices.ts): g is the sum of an id's rows, g² the sum of their squares.
 */
export interface LookupRows {
  /** The table row of each lookup, each in [0, rows of the table). */
  ids: ArrayLike<number>;
  /** The lookups' gradient rows, [lookups, width] row by row. */
  rows: ArrayLike<number>;
}

/** The arrays of one variable that a step reads (none is written). */
export interface AdamStepInputs {
  variable: ArrayLike<number>;
  /** The dense gradient, or an embedding table's per-lookup rows. */
  gradient: ArrayLike<number> | LookupRows;
  momentum: ArrayLike<number>;
  velocity: ArrayLike<number>;
}

/**
 * The per-id sums of `rows` and of their squares over a table of n values: every row added in
 * turn (as a scatter adds them), each square rounded to float32 before it is added.
 */
export function sumRowsPerIdInJs(
  { ids, rows }: LookupRows,
  n: number,
): [Float32Array, Float32Array] {
  const width = ids.length === 0 ? 0 : rows.length / ids.length;
  const sum = new Float32Array(n);
  const squares = new Float32Array(n);
  for (let i = 0; i < ids.length; i++) {
    const at = ids[i] * width;
    for (let j = 0; j < width; j++) {
      const x = rows[i * width + j];
      // Float32Array stores round each sum: float32 additions in order.
      sum[at + j] += x;
      squares[at + j] += f32(x * x);
    }
  }
  return [sum, squares];
}

export interface AdamStepValues {
  variable: Float32Array;
  momentum: Float32Array;
  velocity: Float32Array;
}

/**
 * The new variable, momentum and velocity, given to `use` (the inputs are not written):
 * m += (g - m) * (1 - beta1); v += (g² - v) * (1 - beta2); w -= m * alpha / (sqrt(v) + eps).
 * The arrays may be views of the kernels' memory: valid only until `use` returns.
 */
export function adamStepValues(
  inputs: AdamStepInputs,
  c: AdamStepConstants,
  use: (next: AdamStepValues) => void,
): void {
  // The SIMD loop takes microseconds a variable; the JavaScript one ~40 ns an element here.
  if (wasmKernelAvailable()) {
    wasmAdamStepValues(inputs, c, use);
    return;
  }
  use(adamStepValuesInJs(inputs, c));
}

/** adamStepValues in JavaScript: where the kernels' module does not load. */
export function adamStepValuesInJs(
  { variable, gradient: given, momentum, velocity }: AdamStepInputs,
  c: AdamStepConstants,
): AdamStepValues {
  const n = variable.length;
  const [gradient, squares] = 'ids' in given ? sumRowsPerIdInJs(given, n) : [given, undefined];
  const w = new Float32Array(n);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = gradient[i];
    const mPrev = momentum[i];
    const vPrev = velocity[i];
    const mi = f32(mPrev + f32(f32(g - mPrev) * c.oneMinusBeta1));
    const square = squares !== undefined ? squares[i] : f32(g * g);
    const vi = f32(vPrev + f32(f32(square - vPrev) * c.oneMinusBeta2));
    const step = f32(f32(mi * c.alpha) / f32(f32(Math.sqrt(vi)) + c.epsilon));
    // Float32Array stores round: the last subtraction's float32 rounding.
    w[i] = variable[i] - step;
    m[i] = mi;
    v[i] = vi;
  }
  return { variable: w, momentum: m, velocity: v };
}
