/**
 * Keras's step mask in the recurrences (simple_rnn.ts, lstm.ts, gru.ts), each piece once.
 *
 * The mask is [B, T] floats, batch-major and in the input's time order, as tfjs has it: 0 where
 * a sample's step is masked, anything else where it runs (a pointer of 0: every step runs). At
 * a masked step a sample keeps its states: the forward pass computes the step for every row (the
 * products run over all rows at once), then copies the states of the step before over the rows
 * that are masked (`copyMaskedRows`). In the backward pass a masked row's gates get no gradient
 * (written as zeros, `zeroMaskedRows`: the gated cells skip the row), and the gradient reaching
 * its state passes to the state before unchanged: set aside before the step (`copyMaskedRows`),
 * added after the recurrent product (`addMaskedRows`), whose rows for a masked sample are zero.
 */

/** Whether row b skips input step t (never without a mask). */
export function stepMasked(stepMask: usize, steps: i32, b: i32, t: i32): bool {
  if (stepMask == 0) return false;
  return load<f32>(stepMask + ((<usize>b * <usize>steps + <usize>t) << 2)) == 0.0;
}

/**
 * dst row = src row for the rows of [b0, b0 + nb) that skip input step t: `bytes` bytes a row,
 * rows `stride` bytes apart in both (row 0 of src and dst is row b0).
 */
export function copyMaskedRows(
  stepMask: usize,
  steps: i32,
  t: i32,
  b0: i32,
  nb: i32,
  src: usize,
  dst: usize,
  stride: usize,
  bytes: usize,
): void {
  if (stepMask == 0) return;
  for (let r = 0; r < nb; r++) {
    if (!stepMasked(stepMask, steps, b0 + r, t)) continue;
    const off = <usize>r * stride;
    memory.copy(dst + off, src + off, bytes);
  }
}

/** dst row += src row for the rows of [b0, b0 + nb) that skip input step t (see copyMaskedRows). */
export function addMaskedRows(
  stepMask: usize,
  steps: i32,
  t: i32,
  b0: i32,
  nb: i32,
  src: usize,
  dst: usize,
  stride: usize,
  bytes: usize,
): void {
  if (stepMask == 0) return;
  for (let r = 0; r < nb; r++) {
    if (!stepMasked(stepMask, steps, b0 + r, t)) continue;
    const off = <usize>r * stride;
    for (let o: usize = 0; o < bytes; o += 16) {
      v128.store(dst + off + o, f32x4.add(v128.load(dst + off + o), v128.load(src + off + o)));
    }
  }
}

/** dst row = 0 for the rows of [b0, b0 + nb) that skip input step t (see copyMaskedRows). */
export function zeroMaskedRows(
  stepMask: usize,
  steps: i32,
  t: i32,
  b0: i32,
  nb: i32,
  dst: usize,
  stride: usize,
  bytes: usize,
): void {
  if (stepMask == 0) return;
  for (let r = 0; r < nb; r++) {
    if (stepMasked(stepMask, steps, b0 + r, t)) memory.fill(dst + <usize>r * stride, 0, bytes);
  }
}

/**
 * Lists the rows of [b0, b0 + nb) that run input step t, as offsets from b0, in order, into
 * `rows` (i32); returns how many.
 */
export function runningRows(
  stepMask: usize,
  steps: i32,
  t: i32,
  b0: i32,
  nb: i32,
  rows: usize,
): i32 {
  let n = 0;
  for (let r = 0; r < nb; r++) {
    if (stepMasked(stepMask, steps, b0 + r, t)) continue;
    store<i32>(rows + ((<usize>n) << 2), r);
    n++;
  }
  return n;
}

/** The i-th listed row (see runningRows). */
export function listedRow(rows: usize, i: i32): usize {
  return <usize>load<i32>(rows + ((<usize>i) << 2));
}

/** dst row i = src row rows[i] for i < n, `bytes` bytes a row. */
export function gatherRows(
  rows: usize,
  n: i32,
  src: usize,
  srcStride: usize,
  dst: usize,
  dstStride: usize,
  bytes: usize,
): void {
  for (let i = 0; i < n; i++) {
    memory.copy(dst + <usize>i * dstStride, src + listedRow(rows, i) * srcStride, bytes);
  }
}

/** dst row rows[i] = src row i for i < n, `bytes` bytes a row. */
export function scatterRows(
  rows: usize,
  n: i32,
  src: usize,
  srcStride: usize,
  dst: usize,
  dstStride: usize,
  bytes: usize,
): void {
  for (let i = 0; i < n; i++) {
    memory.copy(dst + listedRow(rows, i) * dstStride, src + <usize>i * srcStride, bytes);
  }
}

/**
 * The gradient reaching a step's state, for `gradientFlow`: dst rows = a rows (+ b rows when b
 * is not 0), `bytes` bytes of nb rows `stride` apart. Nothing when dst is 0 (no recording).
 */
export function recordStateGradient(
  dst: usize,
  a: usize,
  b: usize,
  nb: i32,
  stride: usize,
  bytes: usize,
): void {
  if (dst == 0) return;
  if (b == 0) {
    memory.copy(dst, a, <usize>nb * stride);
    return;
  }
  for (let r = 0; r < nb; r++) {
    const off = <usize>r * stride;
    for (let o: usize = 0; o < bytes; o += 16) {
      v128.store(dst + off + o, f32x4.add(v128.load(a + off + o), v128.load(b + off + o)));
    }
  }
}
