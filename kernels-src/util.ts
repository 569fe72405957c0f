/**
 * Data movement between the dense layouts of tfjs ([rows, n]) and the padded ones of the
 * kernels ([rows, ld], ld a multiple of 4, the padding zero), and small helpers.
 */
import { Activation } from './activations';

/** dst[r, 0..n) = src[r, 0..n), dst[r, n..ld) = 0. */
export function packRows(src: usize, rows: i32, n: i32, ld: i32, dst: usize): void {
  const srcStride = (<usize>n) << 2;
  const dstStride = (<usize>ld) << 2;
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * srcStride;
    const d = dst + <usize>r * dstStride;
    let j = 0;
    for (; j + 4 <= n; j += 4) v128.store(d + ((<usize>j) << 2), v128.load(s + ((<usize>j) << 2)));
    for (; j < n; j++) store<f32>(d + ((<usize>j) << 2), load<f32>(s + ((<usize>j) << 2)));
    for (; j < ld; j++) store<f32>(d + ((<usize>j) << 2), 0.0);
  }
}

/** dst[r, 0..n) = src[r, 0..n) from the padded layout. */
export function unpackRows(src: usize, rows: i32, n: i32, ld: i32, dst: usize): void {
  const srcStride = (<usize>ld) << 2;
  const dstStride = (<usize>n) << 2;
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * srcStride;
    const d = dst + <usize>r * dstStride;
    let j = 0;
    for (; j + 4 <= n; j += 4) v128.store(d + ((<usize>j) << 2), v128.load(s + ((<usize>j) << 2)));
    for (; j < n; j++) store<f32>(d + ((<usize>j) << 2), load<f32>(s + ((<usize>j) << 2)));
  }
}

/** dst[k, j] = src[j, k] for j, k < n; src has row stride srcLd, dst [n, ld] is zero-padded. */
export function transposePacked(src: usize, srcLd: i32, n: i32, ld: i32, dst: usize): void {
  for (let k = 0; k < n; k++) {
    const d = dst + ((<usize>k * <usize>ld) << 2);
    for (let j = 0; j < n; j++) {
      store<f32>(
        d + ((<usize>j) << 2),
        load<f32>(src + ((<usize>j * <usize>srcLd + <usize>k) << 2)),
      );
    }
    for (let j = n; j < ld; j++) store<f32>(d + ((<usize>j) << 2), 0.0);
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
