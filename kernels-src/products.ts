/**
 * The products every layer's kernels share: the projection x · W + b of every step, the
 * gradient that reaches x through it, and a weight's gradient summed over every step and the
 * whole batch; with the step order and the masks' element-wise products. SimpleRNN
 * (simple_rnn.ts), the gated cells (lstm.ts, gru.ts) and Dense (src/kernels/wasm/dense.ts) call
 * these, each piece of math once.
 */
import { ACT_LINEAR } from './activations';
import { EPI_BACKWARD, EPI_FORWARD, accumulateXtD, matmulEpilogue, setEpilogue } from './tiles';
import { gatherRows, runningRows } from './step_mask';
import { addRows } from './util';

/** The input step that processing step s reads (goBackwards reverses the steps). */
export function timeIndex(s: i32, steps: i32, goBackwards: i32): i32 {
  return goBackwards != 0 ? steps - 1 - s : s;
}

/**
 * P[t, b] = x[t, b] · Win + bias over n columns (row strides: x xStride floats, Win, P and the
 * bias `stride` floats; bias 0 = none), for the rows [b0, b0 + nb): sums over the features in
 * order, then the bias, then the denormal flush. A SimpleRNN's and Dense's with n = stride; a
 * gated cell's over its gates' columns (one call per gate with implementation 1's input masks).
 */
export function project(
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
    projectStep(x + first * xRow, xRow, win, row, nb, features, n, bias, p + first * row);
  }
}

/** One step of project: out = x · Win + bias over `rows` rows (strides in bytes). */
export function projectStep(
  x: usize,
  xRow: usize,
  win: usize,
  row: usize,
  rows: i32,
  features: i32,
  n: i32,
  bias: usize,
  out: usize,
): void {
  setEpilogue(EPI_FORWARD, ACT_LINEAR, out, row, bias, 0, 0, 0, 0, 0, 0, 0);
  matmulEpilogue(x, xRow, win, row, rows, features, n);
}

/**
 * dx[b, t] = (dP[t, b] · WinT) ⊙ maskIn[b] for the rows [b0, b0 + nb), the gradient reaching
 * x through the projection (k: dP's width, the product's inner dimension; ld: dP's row stride in
 * floats; WinT [k, ldf]); maskIn 0 = none. dx's
 * row (sample) and step strides are given in floats: batch-major [B, T, ldf] for the gradient
 * tfjs gets, time-major [T, B, ldf] for the dY of the layer before in a stack.
 */
export function projectInputGrad(
  steps: i32,
  batch: i32,
  ldf: i32,
  k: i32,
  ld: i32,
  b0: i32,
  nb: i32,
  dp: usize,
  wint: usize,
  maskIn: usize,
  dx: usize,
  dxRowStride: i32,
  dxStepStride: i32,
): void {
  if (nb <= 0) return;
  const stride = (<usize>ld) << 2;
  const fStride = (<usize>ldf) << 2;
  const dxRow = (<usize>dxRowStride) << 2;
  const dxStep = (<usize>dxStepStride) << 2;
  const mask = maskIn != 0 ? maskIn + <usize>b0 * fStride : 0;
  for (let t = 0; t < steps; t++) {
    inputGradStep(
      dp + (<usize>t * <usize>batch + <usize>b0) * stride,
      stride,
      wint,
      nb,
      k,
      ldf,
      mask,
      dx + <usize>b0 * dxRow + <usize>t * dxStep,
      dxRow,
    );
  }
}

/**
 * One step of projectInputGrad: out = (dP · WinT) ⊙ mask over `rows` rows (dP's row stride and
 * out's in bytes; WinT's and the mask's ldf floats; mask 0 = none).
 */
export function inputGradStep(
  dp: usize,
  stride: usize,
  wint: usize,
  rows: i32,
  k: i32,
  ldf: i32,
  mask: usize,
  out: usize,
  outRow: usize,
): void {
  const fStride = (<usize>ldf) << 2;
  setEpilogue(EPI_BACKWARD, ACT_LINEAR, out, outRow, 0, 0, mask, fStride, 0, 0, 0, 0);
  matmulEpilogue(dp, stride, wint, fStride, rows, k, ldf);
}

/**
 * The rows [i0, i0 + ni) of C[., n] = sum over the steps s and the whole batch of
 * (X_s ⊙ M)^T · D_s (i0 and ni multiples of 4): the n columns of those rows are overwritten,
 * the others left alone (C may be a block of columns of a wider matrix, cStride floats a row).
 *
 * X [T, B, xStride floats]: step s reads X's step s, or with `previous` its step s - 1 (the
 * states before step s; before step 0, x0 [B, xStride floats], or with x0 0 zeros, which add
 * nothing). M [B, mStride floats]
 * (0: none) multiplies every step's X (a dropout mask of the batch's rows). D [T, B, dStride
 * floats]: step s reads D's step at the input's time index when `dTimeOrder` (the gates'
 * gradients, in the caller's time order), else its step s.
 *
 * With db != 0 also db[n] = the sum of every step's rows of D, in order (alongside: the pass
 * over D is there anyway). Every layer's weights take their gradient from this: a SimpleRNN's
 * W (previous, x0 = h0, M its recurrent dropout mask) and Win, a gated cell's U and W (one call
 * per gate with implementation 1's masks) and Dense's kernel (one step).
 */
export function weightGrad(
  steps: i32,
  batch: i32,
  goBackwards: i32,
  i0: i32,
  ni: i32,
  n: i32,
  x: usize,
  xStride: i32,
  previous: i32,
  x0: usize,
  m: usize,
  mStride: i32,
  d: usize,
  dStride: i32,
  dTimeOrder: i32,
  c: usize,
  cStride: i32,
  db: usize,
): void {
  sumWeightGrad(
    steps,
    batch,
    goBackwards,
    i0,
    ni,
    n,
    x,
    xStride,
    previous,
    x0,
    m,
    mStride,
    d,
    dStride,
    dTimeOrder,
    c,
    cStride,
    db,
    0,
    0,
    0,
    0,
    0,
  );
}

/**
 * weightGrad's sums, and running_rows.ts's weightGradRunning's: with a step mask (and no mask
 * M of X's rows) each step's running rows only, gathered into packX and packD (the rows of D
 * that a mask leaves out are zero and add nothing; see running_rows.ts). The step mask is read
 * at loop step s when `inputOrder`, else at the input step that processing step s reads.
 */
export function sumWeightGrad(
  steps: i32,
  batch: i32,
  goBackwards: i32,
  i0: i32,
  ni: i32,
  n: i32,
  x: usize,
  xStride: i32,
  previous: i32,
  x0: usize,
  m: usize,
  mStride: i32,
  d: usize,
  dStride: i32,
  dTimeOrder: i32,
  c: usize,
  cStride: i32,
  db: usize,
  stepMask: usize,
  inputOrder: i32,
  rows: usize,
  packX: usize,
  packD: usize,
): void {
  if (ni <= 0) return;
  const xRow = (<usize>xStride) << 2;
  const mRow = (<usize>mStride) << 2;
  const dRow = (<usize>dStride) << 2;
  const cRow = (<usize>cStride) << 2;
  const bytes = (<usize>n) << 2;
  const skips = stepMask != 0 && m == 0;
  for (let i = i0; i < i0 + ni; i++) memory.fill(c + <usize>i * cRow, 0, bytes);
  if (db != 0) memory.fill(db, 0, bytes);
  for (let s = 0; s < steps; s++) {
    const dt = dTimeOrder != 0 ? timeIndex(s, steps, goBackwards) : s;
    let xs: usize = x0;
    if (previous == 0) xs = x + <usize>s * <usize>batch * xRow;
    else if (s > 0) xs = x + <usize>(s - 1) * <usize>batch * xRow;
    let ds = d + <usize>dt * <usize>batch * dRow;
    let dStep = dRow;
    let running = batch;
    if (skips) {
      const mt = inputOrder != 0 ? s : timeIndex(s, steps, goBackwards);
      running = runningRows(stepMask, steps, mt, 0, batch, rows);
      if (running == 0) continue;
      if (running < batch) {
        gatherRows(rows, running, ds, dRow, packD, bytes, bytes);
        ds = packD;
        dStep = bytes;
        if (xs != 0) {
          gatherRows(rows, running, xs, xRow, packX, xRow, xRow);
          xs = packX;
        }
      }
    }
    if (xs != 0) accumulateXtD(xs, xRow, m, mRow, ds, dStep, running, i0, i0 + ni, n, c, cRow);
    if (db != 0) addRows(ds, dStep, running, n, db);
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
