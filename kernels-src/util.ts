/**
 * Data movement between the dense layouts of tfjs ([rows, n]) and the padded ones of the
 * kernels ([rows, ld], ld a multiple of 4, the padding zero), and small helpers.
 */
import { Activation } from './activations';

/** dst[r, 0..n) = src[r, 0..n), dst[r, n..ld) = 0. */
export function packRows(src: usize, rows: i32, n: i32, ld: i32, dst: usize): void {
  copyRows(src, n, dst, ld, rows, n);
}

/** dst[r, 0..n) = src[r, 0..n) from the padded layout. */
export function unpackRows(src: usize, rows: i32, n: i32, ld: i32, dst: usize): void {
  copyRows(src, ld, dst, n, rows, n);
}

/** n floats of each of `rows` rows from stride srcLd to stride dstLd, zeroing dst[r, n..dstLd). */
function copyRows(src: usize, srcLd: i32, dst: usize, dstLd: i32, rows: i32, n: i32): void {
  const srcStride = (<usize>srcLd) << 2;
  const dstStride = (<usize>dstLd) << 2;
  for (let r = 0; r < rows; r++) {
    copyRow(src + <usize>r * srcStride, dst + <usize>r * dstStride, n, dstLd);
  }
}

/** d[0..n) = s[0..n), d[n..width) = 0. */
function copyRow(s: usize, d: usize, n: i32, width: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(d + ((<usize>j) << 2), v128.load(s + ((<usize>j) << 2)));
  for (; j < n; j++) store<f32>(d + ((<usize>j) << 2), load<f32>(s + ((<usize>j) << 2)));
  for (; j < width; j++) store<f32>(d + ((<usize>j) << 2), 0.0);
}

/**
 * dst[k, j] = src[j, k] for j < rows, k < cols: src [rows, srcLd floats], dst [cols, dstLd]
 * with the columns from `rows` on zeroed.
 */
export function transposePacked(
  src: usize,
  rows: i32,
  cols: i32,
  srcLd: i32,
  dst: usize,
  dstLd: i32,
): void {
  for (let k = 0; k < cols; k++) {
    const d = dst + ((<usize>k * <usize>dstLd) << 2);
    for (let j = 0; j < rows; j++) {
      store<f32>(
        d + ((<usize>j) << 2),
        load<f32>(src + ((<usize>j * <usize>srcLd + <usize>k) << 2)),
      );
    }
    for (let j = rows; j < dstLd; j++) store<f32>(d + ((<usize>j) << 2), 0.0);
  }
}

/** dst[i] = act(src[i]) for count floats, count a multiple of 4 (for tests of the activations). */
export function activateArray(act: i32, src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(dst + o, Activation.apply(act, v128.load(src + o)));
  }
}

/** The first byte past the module's static data: the JS allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Swaps the two leading axes of [outer, inner, n] rows: dst row (j, i) = src row (i, j), n
 * floats each, for i in [i0, i1) and j in [j0, j1) (one thread's share of the batch, on
 * whichever axis is the batch); src rows have stride srcLd floats, dst rows dstLd (>= n, the
 * rest zeroed).
 */
export function swapLeadingAxes(
  src: usize,
  outer: i32,
  inner: i32,
  n: i32,
  srcLd: i32,
  dst: usize,
  dstLd: i32,
  i0: i32,
  i1: i32,
  j0: i32,
  j1: i32,
): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) {
      const s = src + ((<usize>(i * inner + j) * <usize>srcLd) << 2);
      const d = dst + ((<usize>(j * outer + i) * <usize>dstLd) << 2);
      copyRow(s, d, n, dstLd);
    }
  }
}

/**
 * A stack's last layer's output steps into a merged batch-major sequence: a Bidirectional
 * layer's directions side by side in [batch, steps, width] (this one's n columns from
 * `column`), the steps reversed with `reverse` (a backward direction's, back in the input's
 * order), zeros where `stepMask` ([batch, steps] in the input's order, 0: none) is 0 (Keras's
 * zero_output_for_mask). Rows [b0, b1) of h [steps, batch, ld], in processing order.
 */
export function stepsToMerged(
  h: usize,
  steps: i32,
  batch: i32,
  n: i32,
  ld: i32,
  merged: usize,
  width: i32,
  column: i32,
  reverse: i32,
  stepMask: usize,
  b0: i32,
  b1: i32,
): void {
  copyMergedSteps(1, h, steps, batch, n, ld, merged, width, column, reverse, stepMask, b0, b1);
}

/**
 * The gradient of stepsToMerged's output back to the layer's steps: dY [steps, batch, ld] rows
 * [b0, b1) in processing order from the merged [batch, steps, width] gradient's n columns from
 * `column`, zeros at masked steps, the padding lanes zeroed.
 */
export function mergedToSteps(
  merged: usize,
  steps: i32,
  batch: i32,
  n: i32,
  width: i32,
  column: i32,
  reverse: i32,
  stepMask: usize,
  dy: usize,
  ld: i32,
  b0: i32,
  b1: i32,
): void {
  copyMergedSteps(0, dy, steps, batch, n, ld, merged, width, column, reverse, stepMask, b0, b1);
}

/** stepsToMerged (`toMerged` 1: steps -> merged, n floats) and mergedToSteps (0: ld floats). */
function copyMergedSteps(
  toMerged: i32,
  steps0: usize,
  steps: i32,
  batch: i32,
  n: i32,
  ld: i32,
  merged: usize,
  width: i32,
  column: i32,
  reverse: i32,
  stepMask: usize,
  b0: i32,
  b1: i32,
): void {
  const rowWidth = toMerged != 0 ? n : ld;
  for (let b = b0; b < b1; b++) {
    for (let s = 0; s < steps; s++) {
      const t = reverse != 0 ? steps - 1 - s : s;
      const own = steps0 + ((<usize>(s * batch + b) * <usize>ld) << 2);
      const shared = merged + ((<usize>(b * steps + t) * <usize>width + <usize>column) << 2);
      const dst = toMerged != 0 ? shared : own;
      if (stepMask != 0 && load<f32>(stepMask + ((<usize>(b * steps + t)) << 2)) == 0.0) {
        memory.fill(dst, 0, (<usize>rowWidth) << 2);
      } else {
        copyRow(toMerged != 0 ? own : shared, dst, n, rowWidth);
      }
    }
  }
}

/** dst[j] += src[r, j] for each row r in order (rows `stride` bytes apart); n a multiple of 4. */
export function addRows(src: usize, stride: usize, rows: i32, n: i32, dst: usize): void {
  const bytes = (<usize>n) << 2;
  let p = src;
  for (let r = 0; r < rows; r++) {
    for (let o: usize = 0; o < bytes; o += 16) {
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(p + o)));
    }
    p += stride;
  }
}

/** x[b, t, f] *= m[b, f] for a dense x [batch, steps, features] and m [batch, mLd floats]. */
export function maskInputs(
  x: usize,
  batch: i32,
  steps: i32,
  features: i32,
  m: usize,
  mLd: i32,
): void {
  for (let b = 0; b < batch; b++) {
    const mRow = m + ((<usize>b * <usize>mLd) << 2);
    for (let t = 0; t < steps; t++) {
      const xRow = x + ((<usize>(b * steps + t) * <usize>features) << 2);
      for (let f = 0; f < features; f++) {
        const o = (<usize>f) << 2;
        store<f32>(xRow + o, load<f32>(xRow + o) * load<f32>(mRow + o));
      }
    }
  }
}

/**
 * out[t, b, j] = a[t, b, j] * m[b, t, j] for the rows b in [b0, b1) of every step t: a and out
 * time-major [steps, batch, ld] (out may be a; its padding lanes past n are zeroed), m dense and
 * batch-major [batch, steps, n], as tfjs has a dropout mask of a layer's output sequence.
 */
export function multiplySequenceMask(
  a: usize,
  out: usize,
  m: usize,
  steps: i32,
  batch: i32,
  n: i32,
  ld: i32,
  b0: i32,
  b1: i32,
): void {
  const full = n & ~3;
  for (let t = 0; t < steps; t++) {
    for (let b = b0; b < b1; b++) {
      const row = (<usize>(t * batch + b) * <usize>ld) << 2;
      const src = a + row;
      const dst = out + row;
      const mRow = m + ((<usize>(b * steps + t) * <usize>n) << 2);
      let j = 0;
      for (; j < full; j += 4) {
        const o = (<usize>j) << 2;
        v128.store(dst + o, f32x4.mul(v128.load(src + o), v128.load(mRow + o)));
      }
      for (; j < n; j++) {
        const o = (<usize>j) << 2;
        store<f32>(dst + o, load<f32>(src + o) * load<f32>(mRow + o));
      }
      for (; j < ld; j++) store<f32>(dst + ((<usize>j) << 2), 0.0);
    }
  }
}
