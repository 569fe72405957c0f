/**
 * Register-tiled f32x4 matrix products for the recurrent kernels, with a fused epilogue.
 *
 * Matrices are row-major with their own row strides (bytes). Blocks of 4 rows of A are first
 * interleaved into a per-thread buffer (see packRows4); the main tile is then 4 rows x 8
 * columns: eight f32x4 accumulators, two B vectors and A's four values in registers. Tails:
 * 4 x 4 over the same packed block, and 1 x 8 and 1 x 4 over A as it is for the last rows.
 * Column counts are multiples of 4 (buffers are padded); the inner dimension k is any size.
 *
 * The epilogue runs over each block of rows once its tiles are done (the data still in L1),
 * and is chosen by the caller through the module state below (one instance per thread, so
 * these globals are per thread). Its arrays are indexed by the output's row and column, each
 * with its own row stride (0: one row for all, as for a bias).
 */
import {
  ACT_LINEAR,
  ACT_RELU,
  ACT_SIGMOID,
  ACT_TANH,
  Linear,
  Relu,
  Sigmoid,
  Tanh,
} from './activations';
import { FMA, Vec } from './simd';

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
// The input projection computed in a forward epilogue (see setFusedProjection); k 0 = none.
let projX: usize = 0;
let projXStride: usize = 0;
let projWin: usize = 0;
let projK: i32 = 0;
let projBias: usize = 0;

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
  projK = 0;
}

/**
 * After setEpilogue(EPI_FORWARD, ...): the forward epilogue also adds the input projection
 * p = x[r] · Win + bias of each output row r, computed there instead of read from P: x rows of
 * k (< 4) floats with stride xStride, Win [k, n] with the output's row stride, bias 0 = none.
 * The same operations as products.ts's project's tiles and epilogue (sums over k in order, then
 * the bias, then the denormal flush), so the same numbers, without writing and reading P.
 */
export function setFusedProjection(
  x: usize,
  xStride: usize,
  win: usize,
  k: i32,
  bias: usize,
): void {
  projX = x;
  projXStride = xStride;
  projWin = win;
  projK = k;
  projBias = bias;
}

/**
 * The epilogue over the output rows [r0, r0 + rows), n columns, where the tiles left sums.
 * Each row goes through passes of one loop each, chosen outside the loop by what the epilogue
 * has (an add, a mask, the activation), with no test inside; only the fused projection's pass
 * (inputs of fewer than 4 features) keeps its loop over them and its tests of an add and a
 * bias. With the choices inside, the loop ran ~6 tests and jumps per vector, several of them on
 * 32-byte boundaries (see LOOP_PAD). The operations and their order per element are those of
 * one pass.
 */
function finishRows(r0: i32, rows: i32, n: i32): void {
  const act = epiAct;
  const bytes = (<usize>n) << 2;
  for (let r = r0; r < r0 + rows; r++) {
    const ri = <usize>r;
    const out = epiOut + ri * epiOutStride;
    let add = epiAdd != 0 ? epiAdd + ri * epiAddStride : 0;
    const mask = epiMask != 0 ? epiMask + ri * epiMaskStride : 0;
    if (epiMode == EPI_FORWARD) {
      if (projK != 0) {
        addProjection(out, add, projX + ri * projXStride, bytes);
        add = 0;
      }
      if (act == ACT_TANH) activateRow<Tanh>(out, add, bytes);
      else if (act == ACT_SIGMOID) activateRow<Sigmoid>(out, add, bytes);
      else if (act == ACT_RELU) activateRow<Relu>(out, add, bytes);
      else activateRow<Linear>(out, add, bytes);
      if (epiHm != 0) multiplyRow(out, mask, epiHm + ri * epiHmStride, bytes);
    } else {
      if (mask != 0) {
        maskRow(out, mask, add, bytes);
        add = 0;
      }
      const deriv = epiDeriv != 0 ? epiDeriv + ri * epiDerivStride : 0;
      // act' of a linear activation is 1: g * 1 is g.
      if (deriv == 0 || act == ACT_LINEAR) flushGradientRow(out, add, bytes);
      else if (act == ACT_TANH) scaleRow<Tanh>(out, add, deriv, bytes);
      else if (act == ACT_SIGMOID) scaleRow<Sigmoid>(out, add, deriv, bytes);
      else scaleRow<Relu>(out, add, deriv, bytes);
    }
  }
}

/**
 * out = out (+ add) + p, p = x · Win + bias (see setFusedProjection), over one row: p summed
 * over k in order, then the bias, then flushed, as products.ts's project's tiles and epilogue.
 */
function addProjection(out: usize, add: usize, x: usize, bytes: usize): void {
  const k = projK;
  const win = projWin;
  const winStride = epiOutStride;
  const bias = projBias;
  for (let o: usize = 0; o < bytes; o += 16) {
    let a = v128.load(out + o);
    if (add != 0) a = f32x4.add(a, v128.load(add + o));
    let p = f32x4.splat(0.0);
    for (let i = 0; i < k; i++) {
      const xi = v128.load32_splat(x + ((<usize>i) << 2));
      p = Vec.madd(xi, v128.load(win + <usize>i * winStride + o), p);
    }
    if (bias != 0) p = f32x4.add(p, v128.load(bias + o));
    v128.store(out + o, f32x4.add(a, Vec.flushDenormals(p)));
  }
}

/** out = A(out (+ add)), flushed (denormals), over one row; A one of activations.ts's types. */
function activateRow<A>(out: usize, add: usize, bytes: usize): void {
  const act = changetype<A>(0);
  if (add != 0) {
    // Every access at an offset, only to move this loop's jumps off boundaries (see LOOP_PAD).
    // The store's pointer equals the load's but is its own local: merged into one, V8's code
    // put a jump of this loop on a boundary again (relaxed build, checked with check:jumps).
    const outBehind = out - ACTIVATE_ADD_PAD;
    const addBehind = add - ACTIVATE_ADD_PAD;
    const storeBehind = out - ACTIVATE_ADD_PAD;
    for (let o: usize = 0; o < bytes; o += 16) {
      const a = f32x4.add(
        v128.load(outBehind + o, ACTIVATE_ADD_PAD),
        v128.load(addBehind + o, ACTIVATE_ADD_PAD),
      );
      v128.store(storeBehind + o, Vec.flushDenormals(act.apply(a)), ACTIVATE_ADD_PAD);
    }
  } else {
    for (let o: usize = 0; o < bytes; o += 16) {
      v128.store(out + o, Vec.flushDenormals(act.apply(v128.load(out + o))));
    }
  }
}

/** out = (out (+ add)) * A'(deriv), flushed (tiny gradients), over one row. */
function scaleRow<A>(out: usize, add: usize, deriv: usize, bytes: usize): void {
  const act = changetype<A>(0);
  if (add != 0) {
    for (let o: usize = 0; o < bytes; o += 16) {
      const g = f32x4.add(v128.load(out + o), v128.load(add + o));
      const d = act.derivative(v128.load(deriv + o));
      v128.store(out + o, Vec.flushTinyGradients(f32x4.mul(g, d)));
    }
  } else {
    for (let o: usize = 0; o < bytes; o += 16) {
      const d = act.derivative(v128.load(deriv + o));
      v128.store(out + o, Vec.flushTinyGradients(f32x4.mul(v128.load(out + o), d)));
    }
  }
}

/** out = out (+ add), flushed (tiny gradients), over one row. */
function flushGradientRow(out: usize, add: usize, bytes: usize): void {
  if (add != 0) {
    for (let o: usize = 0; o < bytes; o += 16) {
      const g = f32x4.add(v128.load(out + o), v128.load(add + o));
      v128.store(out + o, Vec.flushTinyGradients(g));
    }
  } else {
    for (let o: usize = 0; o < bytes; o += 16) {
      v128.store(out + o, Vec.flushTinyGradients(v128.load(out + o)));
    }
  }
}

/** out = out ⊙ mask (+ add) over one row. */
function maskRow(out: usize, mask: usize, add: usize, bytes: usize): void {
  if (add != 0) {
    for (let o: usize = 0; o < bytes; o += 16) {
      const g = f32x4.mul(v128.load(out + o), v128.load(mask + o));
      v128.store(out + o, f32x4.add(g, v128.load(add + o)));
    }
  } else {
    for (let o: usize = 0; o < bytes; o += 16) {
      v128.store(out + o, f32x4.mul(v128.load(out + o), v128.load(mask + o)));
    }
  }
}

/** hm = out ⊙ mask over one row. */
function multiplyRow(out: usize, mask: usize, hm: usize, bytes: usize): void {
  for (let o: usize = 0; o < bytes; o += 16) {
    v128.store(hm + o, f32x4.mul(v128.load(out + o), v128.load(mask + o)));
  }
}

/**
 * Each thread's buffer for a block of 4 rows of A, interleaved ([k][4]: the 4 rows' values at
 * k side by side), so that a tile reads them with one pointer and one load per k instead of
 * four pointers and four loads: fewer instructions per multiply-add. Set once per instance by
 * the JavaScript side.
 */
let packBuffer: usize = 0;

/** How many values of k one packed block holds; longer products run in chunks of this. */
const PACK_K: i32 = 512;

/** The bytes each thread's pack buffer needs (see setPackBuffer). */
export function packBufferBytes(): i32 {
  return PACK_K << 4;
}

/** Gives this instance (one per thread) its pack buffer of packBufferBytes() bytes. */
export function setPackBuffer(p: usize): void {
  packBuffer = p;
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
  const packed = packBuffer;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const aRow = a + <usize>r * aStride;
    const oRow = epiOut + <usize>r * outStride;
    // A chunk of k at a time: later chunks continue from the sums the earlier ones stored, so
    // every element is still summed over k in order.
    let k0 = 0;
    do {
      const kc = min(PACK_K, k - k0);
      const first = k0 == 0;
      packRows4(aRow + ((<usize>k0) << 2), aStride, kc, packed);
      const bChunk = b + <usize>k0 * bStride;
      let j = 0;
      for (; j + 8 <= n; j += 8) {
        const jb = (<usize>j) << 2;
        tile4x8(packed, bChunk + jb, bStride, kc, oRow + jb, outStride, first);
      }
      if (j < n) {
        const jb = (<usize>j) << 2;
        tile4x4(packed, bChunk + jb, bStride, kc, oRow + jb, outStride, first);
      }
      k0 += PACK_K;
    } while (k0 < k);
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

/** dst[k][4] = the 4 rows a, a + aStride, ... at k, for k in [0, kc). */
function packRows4(a: usize, aStride: usize, kc: i32, dst: usize): void {
  const a1 = a + aStride;
  const a2 = a1 + aStride;
  const a3 = a2 + aStride;
  let i = 0;
  for (; i + 4 <= kc; i += 4) {
    const o = (<usize>i) << 2;
    const r0 = v128.load(a + o);
    const r1 = v128.load(a1 + o);
    const r2 = v128.load(a2 + o);
    const r3 = v128.load(a3 + o);
    // 4 x 4 transpose: lanes (r0[0], r1[0], r2[0], r3[0]) and so on.
    const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
    const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    const d = dst + (o << 2);
    v128.store(d, i64x2.shuffle(t0, t1, 0, 2));
    v128.store(d, i64x2.shuffle(t0, t1, 1, 3), 16);
    v128.store(d, i64x2.shuffle(t2, t3, 0, 2), 32);
    v128.store(d, i64x2.shuffle(t2, t3, 1, 3), 48);
  }
  for (; i < kc; i++) {
    const o = (<usize>i) << 2;
    const d = dst + (o << 2);
    store<f32>(d, load<f32>(a + o));
    store<f32>(d, load<f32>(a1 + o), 4);
    store<f32>(d, load<f32>(a2 + o), 8);
    store<f32>(d, load<f32>(a3 + o), 12);
  }
}

/**
 * A load offset that only lengthens an instruction. Skylake-derived Intel cores (this machine's
 * Cascade Lake among them) keep no decoded micro-ops for a 32-byte block of code that a jump
 * crosses or ends at (their fix for the "JCC erratum"): a loop with such a jump is decoded
 * again on every pass, and ran the forward and backward products 12-18% slower here. V8 aligns
 * loop headers to 64 bytes, so where a loop's jumps fall depends on its own instructions (and
 * on the registers of its function): reading an access at an offset of 128 from a pointer that
 * far behind (a 4-byte displacement instead of none) moves the jumps that follow it, such as
 * V8's stack check in the tiles' loops. `npm run check:jumps` lists the hot loops' jumps that
 * sit on a boundary (V8 11.3, Node 20).
 */
const LOOP_PAD: usize = 128;
// Which accesses of which loop read at that offset (0: none), per build, found with
// `npm run check:jumps`: the two builds' loops differ, and so does where their jumps fall.
/** The 4 x 8 tile: A in the relaxed-SIMD build, B in the other one. */
const TILE4X8_A_PAD: usize = FMA ? LOOP_PAD : 0;
const TILE4X8_B_PAD: usize = FMA ? 0 : LOOP_PAD;
/** The 4 x 4 tile's A. */
const TILE4X4_A_PAD: usize = FMA ? LOOP_PAD : 0;
/** Every access of the forward epilogue's loop with an add (the projection P). */
const ACTIVATE_ADD_PAD: usize = FMA ? LOOP_PAD : 0;
/** Every access of the weight gradients' loop with a mask (recurrent dropout). */
const XTD_MASK_PAD: usize = FMA ? LOOP_PAD : 0;
/** X in the weight gradients' loop without a mask (both builds). */
const XTD_X_PAD: usize = LOOP_PAD;

class Sums {
  /** One f32x4 of a tile's sums at p: zero at the first block of k, else the sum stored so far. */
  @inline static start(first: bool, p: usize): v128 {
    return first ? f32x4.splat(0.0) : v128.load(p);
  }
}

/**
 * The 4 x 8 tile over packed A (see packRows4): each k is one load of A, broadcast lane by
 * lane with shuffles (another port than the loads and the multiply-adds), two loads of B and
 * eight multiply-adds. A 4 x 12 tile would need 17 vector registers and spills on x64.
 */
function tile4x8(
  pa: usize,
  b: usize,
  bStride: usize,
  k: i32,
  out: usize,
  outStride: usize,
  first: bool,
): void {
  const o1 = out + outStride;
  const o2 = o1 + outStride;
  const o3 = o2 + outStride;
  let c00 = Sums.start(first, out);
  let c01 = Sums.start(first, out + 16);
  let c10 = Sums.start(first, o1);
  let c11 = Sums.start(first, o1 + 16);
  let c20 = Sums.start(first, o2);
  let c21 = Sums.start(first, o2 + 16);
  let c30 = Sums.start(first, o3);
  let c31 = Sums.start(first, o3 + 16);
  // A and B read at offsets from pointers that run that far behind them: see LOOP_PAD.
  let pb = b - TILE4X8_B_PAD;
  const end = pa + ((<usize>k) << 4) - TILE4X8_A_PAD;
  for (let p = pa - TILE4X8_A_PAD; p < end; p += 16) {
    const av = v128.load(p, TILE4X8_A_PAD);
    const b0 = v128.load(pb, TILE4X8_B_PAD);
    const b1 = v128.load(pb, TILE4X8_B_PAD + 16);
    let x = i32x4.shuffle(av, av, 0, 0, 0, 0);
    c00 = Vec.madd(x, b0, c00);
    c01 = Vec.madd(x, b1, c01);
    x = i32x4.shuffle(av, av, 1, 1, 1, 1);
    c10 = Vec.madd(x, b0, c10);
    c11 = Vec.madd(x, b1, c11);
    x = i32x4.shuffle(av, av, 2, 2, 2, 2);
    c20 = Vec.madd(x, b0, c20);
    c21 = Vec.madd(x, b1, c21);
    x = i32x4.shuffle(av, av, 3, 3, 3, 3);
    c30 = Vec.madd(x, b0, c30);
    c31 = Vec.madd(x, b1, c31);
    pb += bStride;
  }
  v128.store(out, c00);
  v128.store(out, c01, 16);
  v128.store(o1, c10);
  v128.store(o1, c11, 16);
  v128.store(o2, c20);
  v128.store(o2, c21, 16);
  v128.store(o3, c30);
  v128.store(o3, c31, 16);
}

/** The 4 x 4 tile over packed A (the last columns when n is not a multiple of 8). */
function tile4x4(
  pa: usize,
  b: usize,
  bStride: usize,
  k: i32,
  out: usize,
  outStride: usize,
  first: bool,
): void {
  const o1 = out + outStride;
  const o2 = o1 + outStride;
  const o3 = o2 + outStride;
  let c0 = Sums.start(first, out);
  let c1 = Sums.start(first, o1);
  let c2 = Sums.start(first, o2);
  let c3 = Sums.start(first, o3);
  let pb = b;
  const end = pa + ((<usize>k) << 4) - TILE4X4_A_PAD;
  for (let p = pa - TILE4X4_A_PAD; p < end; p += 16) {
    const av = v128.load(p, TILE4X4_A_PAD);
    const b0 = v128.load(pb);
    c0 = Vec.madd(i32x4.shuffle(av, av, 0, 0, 0, 0), b0, c0);
    c1 = Vec.madd(i32x4.shuffle(av, av, 1, 1, 1, 1), b0, c1);
    c2 = Vec.madd(i32x4.shuffle(av, av, 2, 2, 2, 2), b0, c2);
    c3 = Vec.madd(i32x4.shuffle(av, av, 3, 3, 3, 3), b0, c3);
    pb += bStride;
  }
  v128.store(out, c0);
  v128.store(o1, c1);
  v128.store(o2, c2);
  v128.store(o3, c3);
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
  // Column tiles outside, blocks of rows inside: a tile's strip of D (a cache line a row)
  // comes into L1 once a call and serves every block, where all of D came in again for each
  // block (2-5% faster for the stock model's second layer).
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    for (let i = i0; i < i1; i += 4) {
      const cRow = c + <usize>i * cStride;
      const xi = (<usize>i) << 2;
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
        // One load of X's 4 values, then shuffles: V8 gives a broadcast load at an offset an
        // address computation of its own, and four of them made this loop 8-10% slower. The
        // loop runs on X's pointer up to its end (a row counter beside the two pointers was one
        // more add and a compare with memory each row, 4-7% slower), and reads X at an offset
        // (see LOOP_PAD).
        px -= XTD_X_PAD;
        const pxEnd = px + <usize>rows * xStride;
        for (; px < pxEnd; px += xStride) {
          const xv = v128.load(px, XTD_X_PAD);
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
          pd += dStride;
        }
      } else {
        // Every access at an offset: see LOOP_PAD.
        let pm = m + xi - XTD_MASK_PAD;
        px -= XTD_MASK_PAD;
        pd -= XTD_MASK_PAD;
        for (let r = 0; r < rows; r++) {
          const xv = f32x4.mul(v128.load(px, XTD_MASK_PAD), v128.load(pm, XTD_MASK_PAD));
          const d0 = v128.load(pd, XTD_MASK_PAD);
          const d1 = v128.load(pd, XTD_MASK_PAD + 16);
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
  }
  if (j < n) {
    for (let i = i0; i < i1; i += 4) {
      const cRow = c + <usize>i * cStride;
      const xi = (<usize>i) << 2;
      const cp = cRow + ((<usize>j) << 2);
      let c0 = v128.load(cp);
      let c1 = v128.load(cp + cStride);
      let c2 = v128.load(cp + 2 * cStride);
      let c3 = v128.load(cp + 3 * cStride);
      let px = x + xi;
      let pd = d + ((<usize>j) << 2);
      // The mask's test outside the loops, as in the 4 x 8 tiles above.
      if (m == 0) {
        const pxEnd = px + <usize>rows * xStride;
        for (; px < pxEnd; px += xStride) {
          const xv = v128.load(px);
          const d0 = v128.load(pd);
          c0 = Vec.madd(i32x4.shuffle(xv, xv, 0, 0, 0, 0), d0, c0);
          c1 = Vec.madd(i32x4.shuffle(xv, xv, 1, 1, 1, 1), d0, c1);
          c2 = Vec.madd(i32x4.shuffle(xv, xv, 2, 2, 2, 2), d0, c2);
          c3 = Vec.madd(i32x4.shuffle(xv, xv, 3, 3, 3, 3), d0, c3);
          pd += dStride;
        }
      } else {
        let pm = m + xi;
        for (let r = 0; r < rows; r++) {
          const xv = f32x4.mul(v128.load(px), v128.load(pm));
          const d0 = v128.load(pd);
          c0 = Vec.madd(i32x4.shuffle(xv, xv, 0, 0, 0, 0), d0, c0);
          c1 = Vec.madd(i32x4.shuffle(xv, xv, 1, 1, 1, 1), d0, c1);
          c2 = Vec.madd(i32x4.shuffle(xv, xv, 2, 2, 2, 2), d0, c2);
          c3 = Vec.madd(i32x4.shuffle(xv, xv, 3, 3, 3, 3), d0, c3);
          px += xStride;
          pm += mStride;
          pd += dStride;
        }
      }
      v128.store(cp, c0);
      v128.store(cp + cStride, c1);
      v128.store(cp + 2 * cStride, c2);
      v128.store(cp + 3 * cStride, c3);
    }
  }
}
