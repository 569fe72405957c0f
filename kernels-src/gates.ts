/**
 * What the gated cells' kernels (lstm.ts, gru.ts) share: the time order of a step, the input
 * projection, the recurrent products of every gate and their gradient (with implementation 1's
 * dropout masks, gate by gate), the gates' activations, and the gradient of a weight summed over
 * every step and the whole batch.
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
import { EPI_BACKWARD, EPI_FORWARD, accumulateXtD, matmulEpilogue, setEpilogue } from './tiles';
import { addRows } from './util';

/** The input step that processing step s reads (goBackwards reverses the steps). */
export function timeIndex(s: i32, steps: i32, goBackwards: i32): i32 {
  return goBackwards != 0 ? steps - 1 - s : s;
}

/**
 * The rows [i0, i0 + ni) of C[., n] = sum over the steps s and the whole batch of
 * (X_s ⊙ M)^T · D_s (i0 and ni multiples of 4): the n columns of those rows are overwritten,
 * the others left alone (C may be a block of columns of a wider matrix, cStride floats a row).
 *
 * X [T, B, xStride floats]: step s reads X's step s, or with `previous` its step s - 1 (the
 * states before step s; before step 0 they are zero, and add nothing). M [B, mStride floats]
 * (0: none) multiplies every step's X (a dropout mask of the batch's rows). D [T, B, dStride
 * floats]: step s reads D's step at the input's time index when `dTimeOrder` (the gates'
 * gradients, in the caller's time order), else its step s.
 *
 * With db != 0 also db[n] = the sum of every step's rows of D, in order (alongside: the pass
 * over D is there anyway).
 */
export function gateKernelGrad(
  steps: i32,
  batch: i32,
  goBackwards: i32,
  i0: i32,
  ni: i32,
  n: i32,
  x: usize,
  xStride: i32,
  previous: i32,
  m: usize,
  mStride: i32,
  d: usize,
  dStride: i32,
  dTimeOrder: i32,
  c: usize,
  cStride: i32,
  db: usize,
): void {
  if (ni <= 0) return;
  const xRow = (<usize>xStride) << 2;
  const mRow = (<usize>mStride) << 2;
  const dRow = (<usize>dStride) << 2;
  const cRow = (<usize>cStride) << 2;
  const bytes = (<usize>n) << 2;
  for (let i = i0; i < i0 + ni; i++) memory.fill(c + <usize>i * cRow, 0, bytes);
  if (db != 0) memory.fill(db, 0, bytes);
  for (let s = 0; s < steps; s++) {
    const dt = dTimeOrder != 0 ? timeIndex(s, steps, goBackwards) : s;
    const ds = d + <usize>dt * <usize>batch * dRow;
    if (previous == 0 || s > 0) {
      const xs = x + <usize>(previous != 0 ? s - 1 : s) * <usize>batch * xRow;
      accumulateXtD(xs, xRow, m, mRow, ds, dRow, batch, i0, i0 + ni, n, c, cRow);
    }
    if (db != 0) addRows(ds, dRow, batch, n, db);
  }
}

/**
 * P[t, b] = x[t, b] · Win + bias over n columns (row strides: x xStride floats, Win, P and the
 * bias `stride` floats; bias 0 = none), for the rows [b0, b0 + nb): sums over the features in
 * order, then the bias, then the denormal flush. simple_rnn.ts's projection is this with
 * n = stride; the gated cells' with implementation 1's input masks is one call per gate.
 */
export function projectColumns(
  steps: i32,
  batch: i32,
  features: i32,
  xStride: i32,
  n: i32,
  stride: i32,
  b0: i32,
  nb: i32,
  x: usize,
  win: usize,
  bias: usize,
  p: usize,
): void {
  if (nb <= 0) return;
  const row = (<usize>stride) << 2;
  const xRow = (<usize>xStride) << 2;
  for (let t = 0; t < steps; t++) {
    const first = <usize>t * <usize>batch + <usize>b0;
    setEpilogue(EPI_FORWARD, ACT_LINEAR, p + first * row, row, bias, 0, 0, 0, 0, 0, 0, 0);
    matmulEpilogue(x + first * xRow, xRow, win, row, nb, features, n);
  }
}

/**
 * out[t, b] = x[t, b] ⊙ m[b] for every step and the rows [b0, b0 + nb): x time-major, rows
 * xStride floats apart; out time-major and dense (`features` floats a row); m [B, mStride
 * floats]. An input with a dropout mask of its own, as implementation 1 gives each gate.
 */
export function maskSteps(
  x: usize,
  out: usize,
  m: usize,
  steps: i32,
  batch: i32,
  features: i32,
  xStride: i32,
  mStride: i32,
  b0: i32,
  nb: i32,
): void {
  const row = (<usize>features) << 2;
  const xRow = (<usize>xStride) << 2;
  const mRow = (<usize>mStride) << 2;
  for (let t = 0; t < steps; t++) {
    for (let b = b0; b < b0 + nb; b++) {
      const r = <usize>t * <usize>batch + <usize>b;
      const xr = x + r * xRow;
      const or = out + r * row;
      const mb = m + <usize>b * mRow;
      for (let f: usize = 0; f < row; f += 4) {
        store<f32>(or + f, load<f32>(xr + f) * load<f32>(mb + f));
      }
    }
  }
}

/**
 * Every gate's recurrent product of one step, rows [0, nb) of `prev` (row stride `stride`
 * bytes) into `out` (gates blocks of `gate` bytes, row stride gStride bytes), each plus `add`'s
 * block (0: none; addStride 0: one row for all, as a bias): one product over every gate's
 * columns, or with `rmask` (implementation 1's recurrent dropout: a mask per gate, block k at
 * rmask + k * maskGate bytes, rows `stride` apart) gate by gate, (prev ⊙ r_k) · U_k, through
 * the scratch hm. U: [units, gates blocks], row stride gStride.
 */
export function recurrentProducts(
  prev: usize,
  stride: usize,
  u: usize,
  gStride: usize,
  nb: i32,
  units: i32,
  ld: i32,
  gates: i32,
  out: usize,
  add: usize,
  addStride: usize,
  rmask: usize,
  maskGate: usize,
  hm: usize,
): void {
  if (rmask == 0) {
    setEpilogue(EPI_FORWARD, ACT_LINEAR, out, gStride, add, addStride, 0, 0, 0, 0, 0, 0);
    matmulEpilogue(prev, stride, u, gStride, nb, units, ld * gates);
    return;
  }
  const gate = (<usize>ld) << 2;
  for (let k = 0; k < gates; k++) {
    const block = <usize>k * gate;
    multiplyRows(prev, rmask + <usize>k * maskGate, hm, nb, gate, stride);
    const a = add != 0 ? add + block : 0;
    setEpilogue(EPI_FORWARD, ACT_LINEAR, out + block, gStride, a, addStride, 0, 0, 0, 0, 0, 0);
    matmulEpilogue(hm, stride, u + block, gStride, nb, units, ld);
  }
}

/**
 * The gradient reaching a product's input from every gate's block of its output's gradient:
 * out = Σ_k (a_k · B_k) ⊙ m_k + add over the rows [0, nb) (add 0: none), with a_k gate k's block
 * of a (kBlock floats wide; a's rows aStride bytes apart), B_k the rows [k kBlock, (k + 1)
 * kBlock) of bT (n columns, rows bStride bytes apart) and m_k block k of `masks` (maskGate bytes
 * apart, rows maskStride bytes apart); without masks one product over every gate (a · bT + add).
 * Gate by gate, the sums go through `tmp` (n columns, tmpStride bytes a row), alternating with
 * out, so that each gate adds its part to the gates' before it.
 */
export function gateProductsBack(
  a: usize,
  aStride: usize,
  bT: usize,
  bStride: usize,
  nb: i32,
  kBlock: i32,
  gates: i32,
  n: i32,
  out: usize,
  outStride: usize,
  add: usize,
  addStride: usize,
  masks: usize,
  maskStride: usize,
  maskGate: usize,
  tmp: usize,
  tmpStride: usize,
): void {
  if (masks == 0) {
    setEpilogue(EPI_BACKWARD, ACT_LINEAR, out, outStride, add, addStride, 0, 0, 0, 0, 0, 0);
    matmulEpilogue(a, aStride, bT, bStride, nb, kBlock * gates, n);
    return;
  }
  let before = add;
  let beforeStride = addStride;
  for (let k = 0; k < gates; k++) {
    // The last gate's sum lands in out: the ones before alternate between tmp and out.
    const toOut = (gates - 1 - k) % 2 == 0;
    const dst = toOut ? out : tmp;
    const dstStride = toOut ? outStride : tmpStride;
    setEpilogue(
      EPI_BACKWARD,
      ACT_LINEAR,
      dst,
      dstStride,
      before,
      beforeStride,
      masks + <usize>k * maskGate,
      maskStride,
      0,
      0,
      0,
      0,
    );
    const block = (<usize>k * <usize>kBlock) << 2;
    matmulEpilogue(
      a + block,
      aStride,
      bT + <usize>k * <usize>kBlock * bStride,
      bStride,
      nb,
      kBlock,
      n,
    );
    before = dst;
    beforeStride = dstStride;
  }
}

/**
 * dx[b, t] = Σ_k (dz_k[t, b] · W_kᵀ) ⊙ m_k[b] for the rows [b0, b0 + nb): implementation 1's
 * input gradient, each gate's input with a dropout mask of its own (imask [gates, B, ldf]).
 * dz [T, B, gl] in the caller's time order (gl floats a row, gate k's block from k ld); wint
 * [gl, ldf] (Wᵀ); dx's row and step strides in floats (see simpleRnnInputGrad); tmp [B, ldf]
 * scratch.
 */
export function gateInputGrad(
  steps: i32,
  batch: i32,
  ldf: i32,
  ld: i32,
  gates: i32,
  b0: i32,
  nb: i32,
  dz: usize,
  wint: usize,
  imask: usize,
  dx: usize,
  dxRowStride: i32,
  dxStepStride: i32,
  tmp: usize,
): void {
  if (nb <= 0) return;
  const gRow = (<usize>(ld * gates)) << 2;
  const fRow = (<usize>ldf) << 2;
  const dxRow = (<usize>dxRowStride) << 2;
  const dxStep = (<usize>dxStepStride) << 2;
  const maskGate = <usize>batch * fRow;
  for (let t = 0; t < steps; t++) {
    gateProductsBack(
      dz + (<usize>t * <usize>batch + <usize>b0) * gRow,
      gRow,
      wint,
      fRow,
      nb,
      ld,
      gates,
      ldf,
      dx + <usize>b0 * dxRow + <usize>t * dxStep,
      dxRow,
      0,
      0,
      imask + <usize>b0 * fRow,
      fRow,
      maskGate,
      tmp + <usize>b0 * fRow,
      fRow,
    );
  }
}

/** out = a ⊙ b over `rows` rows of `bytes` bytes, `stride` bytes apart. */
export function multiplyRows(
  a: usize,
  b: usize,
  out: usize,
  rows: i32,
  bytes: usize,
  stride: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * stride;
    for (let o: usize = 0; o < bytes; o += 16) {
      v128.store(out + off + o, f32x4.mul(v128.load(a + off + o), v128.load(b + off + o)));
    }
  }
}

/**
 * dst = act(a + b) over `bytes` bytes (b 0: act(a)); dst may be a. One activation a loop, the
 * choice made outside it (compiled once per activation, see activations.ts's types): the gated
 * cells' forward passes ran 2-4% faster than with every gate's activation in one loop.
 */
export function activateSum(act: i32, a: usize, b: usize, dst: usize, bytes: usize): void {
  if (act == ACT_TANH) activateSumOf<Tanh>(a, b, dst, bytes);
  else if (act == ACT_SIGMOID) activateSumOf<Sigmoid>(a, b, dst, bytes);
  else if (act == ACT_RELU) activateSumOf<Relu>(a, b, dst, bytes);
  else activateSumOf<Linear>(a, b, dst, bytes);
}

function activateSumOf<A>(a: usize, b: usize, dst: usize, bytes: usize): void {
  const f = changetype<A>(0);
  if (b != 0) {
    for (let o: usize = 0; o < bytes; o += 16) {
      v128.store(dst + o, f.apply(f32x4.add(v128.load(a + o), v128.load(b + o))));
    }
  } else {
    for (let o: usize = 0; o < bytes; o += 16) v128.store(dst + o, f.apply(v128.load(a + o)));
  }
}
