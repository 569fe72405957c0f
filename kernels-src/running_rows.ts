/**
 * The products of a masked layer over the rows still running at each step only (Keras's step
 * mask, see step_mask.ts), as packed sequences skip the padding: on text padded to random
 * lengths, nearly half of every product is rows whose step is masked, whose results are thrown
 * away (forward) or are zeros (backward).
 *
 * A step's running rows are listed (`runningRows`), gathered into a packed block, multiplied
 * there with the same tiles and epilogues as every other product, and the results put back in
 * their rows. Each running row's sums are the ones it gets among all the rows (a row's sums never
 * read another row), and the sums over rows of the weights' gradients skip only rows whose
 * gradient is zero, so the results are the same, bit for bit. A step where every row runs takes
 * the product as it is, without copies.
 *
 * The lists, gathers and scatters are step_mask.ts's. The lists and packed blocks are the
 * caller's scratch: the passes over the batch use the rows
 * [b0, b0 + nb) of [B, ...] blocks (one share's, apart from every other share's), a weight's
 * gradient (over the whole batch) blocks of its own.
 */
import { gateProductsBack } from './gates';
import { inputGradStep, projectStep, sumWeightGrad } from './products';
import { Vec } from './simd';
import { gatherRows, runningRows, scatterRows, zeroMaskedRows } from './step_mask';

/**
 * products.ts's project (x · Win + bias over every step, rows [b0, b0 + nb)) over each step's
 * running rows: the masked rows of P get zeros instead of x · Win (nothing reads them: the
 * recurrences keep a masked row's states, and their backward passes give its gates no gradient).
 * Scratch: rows [B] i32, packX [B, xStride floats] and packP [B, stride floats].
 */
export function projectRunning(
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
  stepMask: usize,
  rows: usize,
  packX: usize,
  packP: usize,
): void {
  if (nb <= 0) return;
  const row = (<usize>stride) << 2;
  const xRow = (<usize>xStride) << 2;
  const list = rows + ((<usize>b0) << 2);
  const px = packX + <usize>b0 * xRow;
  const pp = packP + <usize>b0 * row;
  const bytes = (<usize>n) << 2;
  for (let t = 0; t < steps; t++) {
    const first = <usize>t * <usize>batch + <usize>b0;
    const xt = x + first * xRow;
    const pt = p + first * row;
    const running = runningRows(stepMask, steps, t, b0, nb, list);
    if (running == nb) {
      projectStep(xt, xRow, win, row, nb, features, n, bias, pt);
      continue;
    }
    gatherRows(list, running, xt, xRow, px, xRow, xRow);
    projectStep(px, xRow, win, row, running, features, n, bias, pp);
    scatterRows(list, running, pp, row, pt, row, bytes);
    zeroMaskedRows(stepMask, steps, t, b0, nb, pt, row, bytes);
  }
}

/**
 * products.ts's projectInputGrad (dx = dP · Winᵀ, rows [b0, b0 + nb), without input masks)
 * over each step's running rows: a masked row's dP is zero, and so is its dx. Scratch: rows [B]
 * i32, packD [B, ld floats] and packDx [B, ldf floats].
 */
export function projectInputGradRunning(
  steps: i32,
  batch: i32,
  ldf: i32,
  k: i32,
  ld: i32,
  b0: i32,
  nb: i32,
  dp: usize,
  wint: usize,
  dx: usize,
  dxRowStride: i32,
  dxStepStride: i32,
  stepMask: usize,
  rows: usize,
  packD: usize,
  packDx: usize,
): void {
  if (nb <= 0) return;
  const stride = (<usize>ld) << 2;
  const fStride = (<usize>ldf) << 2;
  const dxRow = (<usize>dxRowStride) << 2;
  const dxStep = (<usize>dxStepStride) << 2;
  const list = rows + ((<usize>b0) << 2);
  const pd = packD + <usize>b0 * stride;
  const pdx = packDx + <usize>b0 * fStride;
  for (let t = 0; t < steps; t++) {
    const dpt = dp + (<usize>t * <usize>batch + <usize>b0) * stride;
    const dxt = dx + <usize>b0 * dxRow + <usize>t * dxStep;
    const running = runningRows(stepMask, steps, t, b0, nb, list);
    if (running == nb) {
      inputGradStep(dpt, stride, wint, nb, k, ldf, 0, dxt, dxRow);
      continue;
    }
    gatherRows(list, running, dpt, stride, pd, stride, stride);
    inputGradStep(pd, stride, wint, running, k, ldf, 0, pdx, fStride);
    zeroMaskedRows(stepMask, steps, t, b0, nb, dxt, dxRow, fStride);
    scatterRows(list, running, pdx, fStride, dxt, dxRow, fStride);
  }
}

/**
 * products.ts's weightGrad (C = Σ_s X_sᵀ · D_s, without a mask of X's rows) over each step's
 * running rows, gathered: the others' rows of D are zero and add nothing. The step mask is
 * read at loop step s itself when X and D are both in the input's time order (`inputOrder` 1:
 * the input weights), else at the input step that processing step s reads. Scratch: rows [B]
 * i32, packX [B, xStride floats] and 16 bytes, packD [B, n floats].
 */
export function weightGradRunning(
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
    0,
    0,
    d,
    dStride,
    dTimeOrder,
    c,
    cStride,
    db,
    stepMask,
    inputOrder,
    rows,
    packX,
    packD,
  );
}

/**
 * gates.ts's gateProductsBack without masks (out = dz · Uᵀ + add over every gate, the gradient
 * reaching the states before a step) over a share's listed running rows: their dz and add
 * gathered into packDz and packAdd, the product into packOut and put back in their rows. Every
 * other row of the share's nb gets what the product gives a row of zeros: the add alone (+0 +
 * add, flushed as the epilogue flushes), or zeros. Strides in bytes; add 0: none; kBlock: a
 * gate's columns of dz, n: out's columns (floats).
 */
export function productsBackRunning(
  rows: usize,
  running: i32,
  nb: i32,
  dz: usize,
  dzStride: usize,
  bT: usize,
  bStride: usize,
  kBlock: i32,
  gates: i32,
  n: i32,
  out: usize,
  outStride: usize,
  add: usize,
  packDz: usize,
  packAdd: usize,
  packOut: usize,
): void {
  const bytes = (<usize>n) << 2;
  const zero = f32x4.splat(0.0);
  for (let r = 0; r < nb; r++) {
    const o = out + <usize>r * outStride;
    if (add == 0) {
      memory.fill(o, 0, bytes);
      continue;
    }
    const a = add + <usize>r * outStride;
    for (let j: usize = 0; j < bytes; j += 16) {
      v128.store(o + j, Vec.flushTinyGradients(f32x4.add(zero, v128.load(a + j))));
    }
  }
  if (running == 0) return;
  gatherRows(rows, running, dz, dzStride, packDz, dzStride, dzStride);
  let packedAdd: usize = 0;
  if (add != 0) {
    gatherRows(rows, running, add, outStride, packAdd, outStride, bytes);
    packedAdd = packAdd;
  }
  gateProductsBack(
    packDz,
    dzStride,
    bT,
    bStride,
    running,
    kBlock,
    gates,
    n,
    packOut,
    outStride,
    packedAdd,
    outStride,
    0,
    0,
    0,
    0,
    0,
  );
  scatterRows(rows, running, packOut, outStride, out, outStride, bytes);
}
