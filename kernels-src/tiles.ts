/**
 * Register-tiled f32x4 matrix products for the recurrent kernels, with a fused epilogue.
 *
 * Matrices are row-major with their own row strides (bytes). The main tile is 4 rows x 8
 * columns: eight f32x4 accumulators, two B vectors and one broadcast A scalar stay in registers
 * (a 6 x 8 tile spills on x64's 16 vector registers). Tails: 4 x 4, 1 x 8 and 1 x 4. Column
 * counts are multiples of 4 (buffers are padded); the inner dimension k is any size, since A is
 * read one scalar at a time.
 *
 * The epilogue runs over each block of rows once its tiles are done (the data still in L1),
 * and is chosen by the caller through the module state below (one instance per thread, so
 * these globals are per thread). Its arrays are indexed by the output's row and column, each
 * with its own row stride (0: one row for all, as for a bias).
 */
import { Activation } from './activations';
import { Vec } from './simd';

/** Forward: h = act(acc + add); out = h; hm = h * mask when hm != 0. */
export const EPI_FORWARD: i32 = 0;
/** Backward: g = acc * mask (when mask != 0) + add (when add != 0); out = g * act'(deriv). */
export const EPI_BACKWARD: i32 = 1;

let epiMode: i32 = EPI_FORWARD;
let epiAct: i32 = 0;
let epiOut: usize = 0;
let epiOutStride: usize = 0;
let epiAdd: usize = 0;
let epiAddStride: usize = 0;
let epiMask: usize = 0;
let epiMaskStride: usize = 0;
let epiHm: usize = 0;
let epiHmStride: usize = 0;
let epiDeriv: usize = 0;
let epiDerivStride: usize = 0;

/** Chooses the epilogue and the output of the next `matmulEpilogue`; pointers 0 = unused. */
export function setEpilogue(
  mode: i32,
  act: i32,
  out: usize,
  outStride: usize,
  add: usize,
  addStride: usize,
  mask: usize,
  maskStride: usize,
  hm: usize,
  hmStride: usize,
  deriv: usize,
  derivStride: usize,
): void {
  epiMode = mode;
  epiAct = act;
  epiOut = out;
  epiOutStride = outStride;
  epiAdd = add;
  epiAddStride = addStride;
  epiMask = mask;
  epiMaskStride = maskStride;
  epiHm = hm;
  epiHmStride = hmStride;
  epiDeriv = deriv;
  epiDerivStride = derivStride;
}

/** The epilogue over the output rows [r0, r0 + rows), n columns, where the tiles left sums. */
function finishRows(r0: i32, rows: i32, n: i32): void {
  const act = epiAct;
  const bytes = (<usize>n) << 2;
  for (let r = r0; r < r0 + rows; r++) {
    const ri = <usize>r;
    const out = epiOut + ri * epiOutStride;
    const add = epiAdd != 0 ? epiAdd + ri * epiAddStride : 0;
    const mask = epiMask != 0 ? epiMask + ri * epiMaskStride : 0;
    if (epiMode == EPI_FORWARD) {
      const hm = epiHm != 0 ? epiHm + ri * epiHmStride : 0;
      for (let o: usize = 0; o < bytes; o += 16) {
        let a = v128.load(out + o);
        if (add != 0) a = f32x4.add(a, v128.load(add + o));
        const h = Vec.flushDenormals(Activation.apply(act, a));
        v128.store(out + o, h);
        if (hm != 0) v128.store(hm + o, f32x4.mul(h, v128.load(mask + o)));
      }
    } else {
      const deriv = epiDeriv != 0 ? epiDeriv + ri * epiDerivStride : 0;
      for (let o: usize = 0; o < bytes; o += 16) {
        let g = v128.load(out + o);
        if (mask != 0) g = f32x4.mul(g, v128.load(mask + o));
        if (add != 0) g = f32x4.add(g, v128.load(add + o));
        if (deriv != 0) g = f32x4.mul(g, Activation.derivative(act, v128.load(deriv + o)));
        v128.store(out + o, Vec.flushTinyGradients(g));
      }
    }
  }
}

/**
 * out[rows, n] = A[rows, 0..k) · B[0..k, n], then the epilogue (see setEpilogue, which also
 * names the output). A and B are byte pointers with row strides aStride and bStride.
 */
export function matmulEpilogue(
  a: usize,
  aStride: usize,
  b: usize,
  bStride: usize,
  rows: i32,
  k: i32,
  n: i32,
): void {
  const outStride = epiOutStride;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const aRow = a + <usize>r * aStride;
    const oRow = epiOut + <usize>r * outStride;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const jb = (<usize>j) << 2;
      tile4x8(aRow, aStride, b + jb, bStride, k, oRow + jb, outStride);
    }
    if (j < n) {
      const jb = (<usize>j) << 2;
      tile4x4(aRow, aStride, b + jb, bStride, k, oRow + jb, outStride);
    }
    finishRows(r, 4, n);
  }
  for (; r < rows; r++) {
    const aRow = a + <usize>r * aStride;
    const oRow = epiOut + <usize>r * outStride;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const jb = (<usize>j) << 2;
      tile1x8(aRow, b + jb, bStride, k, oRow + jb);
    }
    if (j < n) {
      const jb = (<usize>j) << 2;
      tile1x4(aRow, b + jb, bStride, k, oRow + jb);
    }
    finishRows(r, 1, n);
  }
}

function tile4x8(
  a: usize,
  aStride: usize,
  b: usize,
  bStride: usize,
  k: i32,
  out: usize,
  outStride: usize,
): void {
  let c00 = f32x4.splat(0.0);
  let c01 = f32x4.splat(0.0);
  let c10 = f32x4.splat(0.0);
  let c11 = f32x4.splat(0.0);
  let c20 = f32x4.splat(0.0);
  let c21 = f32x4.splat(0.0);
  let c30 = f32x4.splat(0.0);
  let c31 = f32x4.splat(0.0);
  let p0 = a;
  let p1 = a + aStride;
  let p2 = p1 + aStride;
  let p3 = p2 + aStride;
  let pb = b;
  for (let i = 0; i < k; i++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(p0);
    c00 = Vec.madd(x, b0, c00);
    c01 = Vec.madd(x, b1, c01);
    x = v128.load32_splat(p1);
    c10 = Vec.madd(x, b0, c10);
    c11 = Vec.madd(x, b1, c11);
    x = v128.load32_splat(p2);
    c20 = Vec.madd(x, b0, c20);
    c21 = Vec.madd(x, b1, c21);
    x = v128.load32_splat(p3);
    c30 = Vec.madd(x, b0, c30);
    c31 = Vec.madd(x, b1, c31);
    p0 += 4;
    p1 += 4;
    p2 += 4;
    p3 += 4;
    pb += bStride;
  }
  v128.store(out, c00);
  v128.store(out, c01, 16);
  v128.store(out + outStride, c10);
  v128.store(out + outStride, c11, 16);
  v128.store(out + 2 * outStride, c20);
  v128.store(out + 2 * outStride, c21, 16);
  v128.store(out + 3 * outStride, c30);
  v128.store(out + 3 * outStride, c31, 16);
}

function tile4x4(
  a: usize,
  aStride: usize,
  b: usize,
  bStride: usize,
  k: i32,
  out: usize,
  outStride: usize,
): void {
  let c0 = f32x4.splat(0.0);
  let c1 = f32x4.splat(0.0);
  let c2 = f32x4.splat(0.0);
  let c3 = f32x4.splat(0.0);
  let p0 = a;
  let p1 = a + aStride;
  let p2 = p1 + aStride;
  let p3 = p2 + aStride;
  let pb = b;
  for (let i = 0; i < k; i++) {
    const b0 = v128.load(pb);
    c0 = Vec.madd(v128.load32_splat(p0), b0, c0);
    c1 = Vec.madd(v128.load32_splat(p1), b0, c1);
    c2 = Vec.madd(v128.load32_splat(p2), b0, c2);
    c3 = Vec.madd(v128.load32_splat(p3), b0, c3);
    p0 += 4;
    p1 += 4;
    p2 += 4;
    p3 += 4;
    pb += bStride;
  }
  v128.store(out, c0);
  v128.store(out + outStride, c1);
  v128.store(out + 2 * outStride, c2);
  v128.store(out + 3 * outStride, c3);
}

function tile1x8(a: usize, b: usize, bStride: usize, k: i32, out: usize): void {
  let c0 = f32x4.splat(0.0);
  let c1 = f32x4.splat(0.0);
  let p0 = a;
  let pb = b;
  for (let i = 0; i < k; i++) {
    const x = v128.load32_splat(p0);
    c0 = Vec.madd(x, v128.load(pb), c0);
    c1 = Vec.madd(x, v128.load(pb, 16), c1);
    p0 += 4;
    pb += bStride;
  }
  v128.store(out, c0);
  v128.store(out, c1, 16);
}

function tile1x4(a: usize, b: usize, bStride: usize, k: i32, out: usize): void {
  let c0 = f32x4.splat(0.0);
  let p0 = a;
  let pb = b;
  for (let i = 0; i < k; i++) {
    c0 = Vec.madd(v128.load32_splat(p0), v128.load(pb), c0);
    p0 += 4;
    pb += bStride;
  }
  v128.store(out, c0);
}

/**
 * Accumulates the rows [i0, i1) of C[., n] += X^T · D over `rows` rows: X[rows, >= i1]
 * (optionally times a mask M element-wise), D[rows, n]. Each has its own row stride in bytes;
 * i0 and i1 are multiples of 4, and X is read 4 floats at a time (rows of C past X's true
 * width are padding, and X needs 12 readable bytes past its last row). Tiles 4 x 8 of C; the
 * accumulators are loaded from C and stored back once per call, and every element is summed
 * over the rows in order, whichever rows of C a call covers.
 */
export function accumulateXtD(
  x: usize,
  xStride: usize,
  m: usize,
  mStride: usize,
  d: usize,
  dStride: usize,
  rows: i32,
  i0: i32,
  i1: i32,
  n: i32,
  c: usize,
  cStride: usize,
): void {
  for (let i = i0; i < i1; i += 4) {
    const cRow = c + <usize>i * cStride;
    const xi = (<usize>i) << 2;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const cp = cRow + ((<usize>j) << 2);
      let c00 = v128.load(cp);
      let c01 = v128.load(cp, 16);
      let c10 = v128.load(cp + cStride);
      let c11 = v128.load(cp + cStride, 16);
      let c20 = v128.load(cp + 2 * cStride);
      let c21 = v128.load(cp + 2 * cStride, 16);
      let c30 = v128.load(cp + 3 * cStride);
      let c31 = v128.load(cp + 3 * cStride, 16);
      let px = x + xi;
      let pd = d + ((<usize>j) << 2);
      if (m == 0) {
        // Broadcast loads (load ports) rather than shuffles (one port on x86), no mask branch.
        for (let r = 0; r < rows; r++) {
          const d0 = v128.load(pd);
          const d1 = v128.load(pd, 16);
          let s = v128.load32_splat(px);
          c00 = Vec.madd(s, d0, c00);
          c01 = Vec.madd(s, d1, c01);
          s = v128.load32_splat(px, 4);
          c10 = Vec.madd(s, d0, c10);
          c11 = Vec.madd(s, d1, c11);
          s = v128.load32_splat(px, 8);
          c20 = Vec.madd(s, d0, c20);
          c21 = Vec.madd(s, d1, c21);
          s = v128.load32_splat(px, 12);
          c30 = Vec.madd(s, d0, c30);
          c31 = Vec.madd(s, d1, c31);
          px += xStride;
          pd += dStride;
        }
      } else {
        let pm = m + xi;
        for (let r = 0; r < rows; r++) {
          const xv = f32x4.mul(v128.load(px), v128.load(pm));
          const d0 = v128.load(pd);
          const d1 = v128.load(pd, 16);
          let s = i32x4.shuffle(xv, xv, 0, 0, 0, 0);
          c00 = Vec.madd(s, d0, c00);
          c01 = Vec.madd(s, d1, c01);
          s = i32x4.shuffle(xv, xv, 1, 1, 1, 1);
          c10 = Vec.madd(s, d0, c10);
          c11 = Vec.madd(s, d1, c11);
          s = i32x4.shuffle(xv, xv, 2, 2, 2, 2);
          c20 = Vec.madd(s, d0, c20);
          c21 = Vec.madd(s, d1, c21);
          s = i32x4.shuffle(xv, xv, 3, 3, 3, 3);
          c30 = Vec.madd(s, d0, c30);
          c31 = Vec.madd(s, d1, c31);
          px += xStride;
          pm += mStride;
          pd += dStride;
        }
      }
      v128.store(cp, c00);
      v128.store(cp, c01, 16);
      v128.store(cp + cStride, c10);
      v128.store(cp + cStride, c11, 16);
      v128.store(cp + 2 * cStride, c20);
      v128.store(cp + 2 * cStride, c21, 16);
      v128.store(cp + 3 * cStride, c30);
      v128.store(cp + 3 * cStride, c31, 16);
    }
    if (j < n) {
      const cp = cRow + ((<usize>j) << 2);
      let c0 = v128.load(cp);
      let c1 = v128.load(cp + cStride);
      let c2 = v128.load(cp + 2 * cStride);
      let c3 = v128.load(cp + 3 * cStride);
      let px = x + xi;
      let pm = m + xi;
      let pd = d + ((<usize>j) << 2);
      for (let r = 0; r < rows; r++) {
        let xv = v128.load(px);
        if (m != 0) xv = f32x4.mul(xv, v128.load(pm));
        const d0 = v128.load(pd);
        c0 = Vec.madd(i32x4.shuffle(xv, xv, 0, 0, 0, 0), d0, c0);
        c1 = Vec.madd(i32x4.shuffle(xv, xv, 1, 1, 1, 1), d0, c1);
        c2 = Vec.madd(i32x4.shuffle(xv, xv, 2, 2, 2, 2), d0, c2);
        c3 = Vec.madd(i32x4.shuffle(xv, xv, 3, 3, 3, 3), d0, c3);
        px += xStride;
        pm += mStride;
        pd += dStride;
      }
      v128.store(cp, c0);
      v128.store(cp + cStride, c1);
      v128.store(cp + 2 * cStride, c2);
      v128.store(cp + 3 * cStride, c3);
    }
  }
}
