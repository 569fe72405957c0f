/**
 * Register-tiled f32x4 matrix products C = A · B for the recurrent kernels, with a fused
 * epilogue per output vector.
 *
 * Every matrix here is row-major with the same row stride `ld` floats (the units rounded up
 * to a multiple of 4, the padding lanes zero), so one byte stride serves A, B and every
 * row-indexed array the epilogue reads or writes. The main tile is 4 rows x 8 columns: eight
 * f32x4 accumulators, two B vectors and one broadcast A scalar stay in registers (a 6 x 8
 * tile spills on x64's 16 vector registers). Tails: 4 x 4, 1 x 8 and 1 x 4.
 *
 * The epilogue is chosen by the caller through the module state below (one instance per
 * thread, so these globals are per thread).
 */
import { Activation } from './activations';

/** Forward: h = act(acc + add); out = h; hm = h * mask when hm != 0. */
export const EPI_FORWARD: i32 = 0;
/** Backward: g = acc * mask (when mask != 0) + add (when add != 0); out = g * act'(deriv). */
export const EPI_BACKWARD: i32 = 1;

export let epiMode: i32 = EPI_FORWARD;
export let epiAct: i32 = 0;
/** Bases of the row-indexed arrays, at the first row of the block; 0 when unused. */
export let epiOut: usize = 0;
export let epiAdd: usize = 0;
export let epiMask: usize = 0;
export let epiHm: usize = 0;
export let epiDeriv: usize = 0;

export function setEpilogue(
  mode: i32,
  act: i32,
  out: usize,
  add: usize,
  mask: usize,
  hm: usize,
  deriv: usize,
): void {
  epiMode = mode;
  epiAct = act;
  epiOut = out;
  epiAdd = add;
  epiMask = mask;
  epiHm = hm;
  epiDeriv = deriv;
}

/**
 * The epilogue over `rows` rows of the output at byte offset `off`, where the tiles left the
 * raw products: one pass over data still in L1, after a block of rows is complete.
 */
function finishRows(off: usize, rows: i32, ld: i32, stride: usize): void {
  const act = epiAct;
  const out = epiOut;
  const add = epiAdd;
  const mask = epiMask;
  const hm = epiHm;
  const deriv = epiDeriv;
  for (let r = 0; r < rows; r++) {
    const o0 = off + <usize>r * stride;
    const o1 = o0 + ((<usize>ld) << 2);
    if (epiMode == EPI_FORWARD) {
      for (let o = o0; o < o1; o += 16) {
        const h = Activation.apply(act, f32x4.add(v128.load(out + o), v128.load(add + o)));
        v128.store(out + o, h);
        if (hm != 0) v128.store(hm + o, f32x4.mul(h, v128.load(mask + o)));
      }
    } else {
      for (let o = o0; o < o1; o += 16) {
        let g = v128.load(out + o);
        if (mask != 0) g = f32x4.mul(g, v128.load(mask + o));
        if (add != 0) g = f32x4.add(g, v128.load(add + o));
        if (deriv != 0) g = f32x4.mul(g, Activation.derivative(act, v128.load(deriv + o)));
        v128.store(out + o, g);
      }
    }
  }
}

/**
 * C[rows, ld] = A[rows, 0..k) · B[0..k, ld], then the epilogue, for `rows` rows starting at
 * A (byte pointer), with B at `b`, all with row stride `stride` bytes. `ld` (floats) is a
 * multiple of 4.
 */
export function matmulEpilogue(
  a: usize,
  b: usize,
  rows: i32,
  k: i32,
  ld: i32,
  stride: usize,
): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const aRow = a + <usize>r * stride;
    const oRow = <usize>r * stride;
    let j = 0;
    for (; j + 8 <= ld; j += 8)
      tile4x8(aRow, b + ((<usize>j) << 2), k, stride, oRow + ((<usize>j) << 2));
    if (j < ld) tile4x4(aRow, b + ((<usize>j) << 2), k, stride, oRow + ((<usize>j) << 2));
    finishRows(oRow, 4, ld, stride);
  }
  for (; r < rows; r++) {
    const aRow = a + <usize>r * stride;
    const oRow = <usize>r * stride;
    let j = 0;
    for (; j + 8 <= ld; j += 8)
      tile1x8(aRow, b + ((<usize>j) << 2), k, stride, oRow + ((<usize>j) << 2));
    if (j < ld) tile1x4(aRow, b + ((<usize>j) << 2), k, stride, oRow + ((<usize>j) << 2));
    finishRows(oRow, 1, ld, stride);
  }
}

function tile4x8(a: usize, b: usize, k: i32, stride: usize, off: usize): void {
  let c00 = f32x4.splat(0.0);
  let c01 = f32x4.splat(0.0);
  let c10 = f32x4.splat(0.0);
  let c11 = f32x4.splat(0.0);
  let c20 = f32x4.splat(0.0);
  let c21 = f32x4.splat(0.0);
  let c30 = f32x4.splat(0.0);
  let c31 = f32x4.splat(0.0);
  let p0 = a;
  let p1 = a + stride;
  let p2 = p1 + stride;
  let p3 = p2 + stride;
  let pb = b;
  for (let i = 0; i < k; i++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(p0);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(p1);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(p2);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(p3);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    p0 += 4;
    p1 += 4;
    p2 += 4;
    p3 += 4;
    pb += stride;
  }
  v128.store(epiOut + off, c00);
  v128.store(epiOut + off + 16, c01);
  v128.store(epiOut + off + stride, c10);
  v128.store(epiOut + off + stride + 16, c11);
  v128.store(epiOut + off + 2 * stride, c20);
  v128.store(epiOut + off + 2 * stride + 16, c21);
  v128.store(epiOut + off + 3 * stride, c30);
  v128.store(epiOut + off + 3 * stride + 16, c31);
}

function tile4x4(a: usize, b: usize, k: i32, stride: usize, off: usize): void {
  let c0 = f32x4.splat(0.0);
  let c1 = f32x4.splat(0.0);
  let c2 = f32x4.splat(0.0);
  let c3 = f32x4.splat(0.0);
  let p0 = a;
  let p1 = a + stride;
  let p2 = p1 + stride;
  let p3 = p2 + stride;
  let pb = b;
  for (let i = 0; i < k; i++) {
    const b0 = v128.load(pb);
    c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(p0), b0));
    c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(p1), b0));
    c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(p2), b0));
    c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(p3), b0));
    p0 += 4;
    p1 += 4;
    p2 += 4;
    p3 += 4;
    pb += stride;
  }
  v128.store(epiOut + off, c0);
  v128.store(epiOut + off + stride, c1);
  v128.store(epiOut + off + 2 * stride, c2);
  v128.store(epiOut + off + 3 * stride, c3);
}

function tile1x8(a: usize, b: usize, k: i32, stride: usize, off: usize): void {
  let c0 = f32x4.splat(0.0);
  let c1 = f32x4.splat(0.0);
  let p0 = a;
  let pb = b;
  for (let i = 0; i < k; i++) {
    const x = v128.load32_splat(p0);
    c0 = f32x4.add(c0, f32x4.mul(x, v128.load(pb)));
    c1 = f32x4.add(c1, f32x4.mul(x, v128.load(pb, 16)));
    p0 += 4;
    pb += stride;
  }
  v128.store(epiOut + off, c0);
  v128.store(epiOut + off + 16, c1);
}

function tile1x4(a: usize, b: usize, k: i32, stride: usize, off: usize): void {
  let c0 = f32x4.splat(0.0);
  let p0 = a;
  let pb = b;
  for (let i = 0; i < k; i++) {
    c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(p0), v128.load(pb)));
    p0 += 4;
    pb += stride;
  }
  v128.store(epiOut + off, c0);
}

/**
 * Accumulates the rows [i0, i1) of C[ld, ld] += X^T · D over `rows` rows: X[rows, ld]
 * (optionally times a mask M[rows, ld] element-wise), D[rows, ld], all with row stride `stride`
 * bytes, like C (rows of C past the true width are padding). i0 and i1 are multiples of 4.
 * Tiles 4 x 8 of C; the accumulators are loaded from C and stored back once per call. Every
 * element is summed over the rows in order, whichever rows of C a call covers.
 */
export function accumulateXtD(
  x: usize,
  m: usize,
  d: usize,
  rows: i32,
  i0: i32,
  i1: i32,
  ld: i32,
  stride: usize,
  c: usize,
): void {
  for (let i = i0; i < i1; i += 4) {
    const cRow = c + <usize>i * stride;
    let j = 0;
    for (; j + 8 <= ld; j += 8) {
      const cp = cRow + ((<usize>j) << 2);
      let c00 = v128.load(cp);
      let c01 = v128.load(cp, 16);
      let c10 = v128.load(cp + stride);
      let c11 = v128.load(cp + stride, 16);
      let c20 = v128.load(cp + 2 * stride);
      let c21 = v128.load(cp + 2 * stride, 16);
      let c30 = v128.load(cp + 3 * stride);
      let c31 = v128.load(cp + 3 * stride, 16);
      let px = x + ((<usize>i) << 2);
      let pm = m + ((<usize>i) << 2);
      let pd = d + ((<usize>j) << 2);
      for (let r = 0; r < rows; r++) {
        let xv = v128.load(px);
        if (m != 0) xv = f32x4.mul(xv, v128.load(pm));
        const d0 = v128.load(pd);
        const d1 = v128.load(pd, 16);
        let s = i32x4.shuffle(xv, xv, 0, 0, 0, 0);
        c00 = f32x4.add(c00, f32x4.mul(s, d0));
        c01 = f32x4.add(c01, f32x4.mul(s, d1));
        s = i32x4.shuffle(xv, xv, 1, 1, 1, 1);
        c10 = f32x4.add(c10, f32x4.mul(s, d0));
        c11 = f32x4.add(c11, f32x4.mul(s, d1));
        s = i32x4.shuffle(xv, xv, 2, 2, 2, 2);
        c20 = f32x4.add(c20, f32x4.mul(s, d0));
        c21 = f32x4.add(c21, f32x4.mul(s, d1));
        s = i32x4.shuffle(xv, xv, 3, 3, 3, 3);
        c30 = f32x4.add(c30, f32x4.mul(s, d0));
        c31 = f32x4.add(c31, f32x4.mul(s, d1));
        px += stride;
        pm += stride;
        pd += stride;
      }
      v128.store(cp, c00);
      v128.store(cp, c01, 16);
      v128.store(cp + stride, c10);
      v128.store(cp + stride, c11, 16);
      v128.store(cp + 2 * stride, c20);
      v128.store(cp + 2 * stride, c21, 16);
      v128.store(cp + 3 * stride, c30);
      v128.store(cp + 3 * stride, c31, 16);
    }
    if (j < ld) {
      const cp = cRow + ((<usize>j) << 2);
      let c0 = v128.load(cp);
      let c1 = v128.load(cp + stride);
      let c2 = v128.load(cp + 2 * stride);
      let c3 = v128.load(cp + 3 * stride);
      let px = x + ((<usize>i) << 2);
      let pm = m + ((<usize>i) << 2);
      let pd = d + ((<usize>j) << 2);
      for (let r = 0; r < rows; r++) {
        let xv = v128.load(px);
        if (m != 0) xv = f32x4.mul(xv, v128.load(pm));
        const d0 = v128.load(pd);
        c0 = f32x4.add(c0, f32x4.mul(i32x4.shuffle(xv, xv, 0, 0, 0, 0), d0));
        c1 = f32x4.add(c1, f32x4.mul(i32x4.shuffle(xv, xv, 1, 1, 1, 1), d0));
        c2 = f32x4.add(c2, f32x4.mul(i32x4.shuffle(xv, xv, 2, 2, 2, 2), d0));
        c3 = f32x4.add(c3, f32x4.mul(i32x4.shuffle(xv, xv, 3, 3, 3, 3), d0));
        px += stride;
        pm += stride;
        pd += stride;
      }
      v128.store(cp, c0);
      v128.store(cp + stride, c1);
      v128.store(cp + 2 * stride, c2);
      v128.store(cp + 3 * stride, c3);
    }
  }
}
