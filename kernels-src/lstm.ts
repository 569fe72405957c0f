/**
 * LSTM over a whole sequence (gates i, f, c, o), in Keras's two orders of sums:
 *   implementation 2: z = (x_t · W + h · U) + b
 *   implementation 1: z_k = ((x_t ⊙ m_k) · W_k + b_k) + (h ⊙ r_k) · U_k, gate by gate, with a
 *                     dropout mask per gate (the caller projects x with the bias, and passes
 *                     no bias here; rmask 0 without recurrent dropout)
 *   i, f, o = σ(z_i, z_f, z_o), g = act(z_g);  c = f ⊙ c + i ⊙ g;  h = o ⊙ act(c)
 * The passes over time work on the rows [b0, b0 + nb) of the batch (one thread's share); the
 * input projection, the weights' gradients and the input's are products.ts's project,
 * weightGrad and projectInputGrad (gates.ts's gateInputGrad with input masks), with 4 ld
 * columns.
 *
 * Layouts (byte pointers; ld = units rounded up to a multiple of 4, each gate a block of ld
 * columns, gl = 4 ld; the padding lanes are zero on input):
 *   G      [T, B, gl]  x_t · W (project) in the caller's time order; the
 *                      forward pass overwrites step t with the gates i, f, g, o, the backward
 *                      pass with their pre-activations' gradient dz
 *   H, C, TC [T, B, ld] h, c and act(c) of every step, in processing order
 *   h0, c0 [B, ld]     the states before the first step
 *   U [units, gl], UT [gl, ld] (UT[k, j] = U[j, k]); bias [gl] (0: none)
 *   dY     [T, B, ld] gradient of every output (processing order), else [B, ld] of the last
 *   Z      [B, gl]    scratch of the forward pass: each step's z
 *   rmask  [4, B, ld] implementation 1's recurrent dropout: a mask of h_{t-1} per gate (0:
 *                      none); HM [B, ld] and dH2 [B, ld] scratch for its products
 *   dH [B, ld]        scratch: the gradient reaching h from the step after
 *   dC [B, ld]        the gradient reaching c: on entry c_T's (the last state's; zeros when
 *                      nothing reads it), on exit c0's
 *   dh0 [B, ld]       the gradient reaching h0 (0: not computed)
 *   stepMask [B, T]   Keras's step mask, batch-major in the input's time order (0: none; see
 *                      step_mask.ts); carry [B, ld] the backward pass's scratch with it
 */
import { Activation } from './activations';
import { activateSum, gateProductsBack, recurrentProducts } from './gates';
import { timeIndex } from './products';
import { productsBackRunning } from './running_rows';
import { Vec } from './simd';
import {
  addMaskedRows,
  copyMaskedRows,
  gatherRows,
  listedRow,
  recordStateGradient,
  runningRows,
  stepMasked,
  zeroMaskedRows,
} from './step_mask';

/**
 * Every step's gates and states for the rows [b0, b0 + nb), from G = x · W. Z [B, gl] is
 * scratch: each step's z, before the gates replace x · W in G.
 */
export function lstmForward(
  act: i32,
  recurrentAct: i32,
  steps: i32,
  batch: i32,
  units: i32,
  ld: i32,
  b0: i32,
  nb: i32,
  goBackwards: i32,
  g: usize,
  u: usize,
  bias: usize,
  h0: usize,
  c0: usize,
  z: usize,
  h: usize,
  c: usize,
  tc: usize,
  rmask: usize,
  hm: usize,
  stepMask: usize,
  rows: usize,
  packA: usize,
  packB: usize,
): void {
  if (nb <= 0 || steps <= 0) return;
  const stride = (<usize>ld) << 2;
  const gStride = stride << 2;
  const rowOff = <usize>b0 * stride;
  const gRowOff = <usize>b0 * gStride;
  const stepBytes = <usize>batch * stride;
  const gStepBytes = <usize>batch * gStride;
  const zs = z + gRowOff;
  // With a step mask (and no recurrent dropout), the products of each step's running rows only.
  const skips = stepMask != 0 && rmask == 0;
  const list = rows + ((<usize>b0) << 2);
  for (let s = 0; s < steps; s++) {
    const t = timeIndex(s, steps, goBackwards);
    const gt = g + <usize>t * gStepBytes + gRowOff;
    const prevH = s == 0 ? h0 + rowOff : h + <usize>(s - 1) * stepBytes + rowOff;
    const prevC = s == 0 ? c0 + rowOff : c + <usize>(s - 1) * stepBytes + rowOff;
    const at = <usize>s * stepBytes + rowOff;
    const running = skips ? runningRows(stepMask, steps, t, b0, nb, list) : nb;
    // Fewer rows running: their h and x·W gathered (into packB and packA), their z in Z's first
    // rows, their gates and states written in their own rows.
    const packed = running < nb;
    const hs = packed ? packB + rowOff : prevH;
    const xw = packed ? packA + gRowOff : gt;
    if (packed) {
      gatherRows(list, running, prevH, stride, hs, stride, stride);
      gatherRows(list, running, gt, gStride, xw, gStride, gStride);
    }
    // z = x·W + h·U (the epilogue adds each row of x·W to its sums).
    const rm = rmask != 0 ? rmask + rowOff : 0;
    recurrentProducts(
      hs,
      stride,
      u,
      gStride,
      running,
      units,
      ld,
      4,
      zs,
      xw,
      gStride,
      rm,
      stepBytes,
      hm + rowOff,
    );
    for (let i = 0; i < running; i++) {
      const ro = (packed ? listedRow(list, i) : <usize>i) * stride;
      lstmGates(
        act,
        recurrentAct,
        zs + <usize>i * gStride,
        bias,
        gt + (ro << 2),
        prevC + ro,
        c + at + ro,
        tc + at + ro,
        h + at + ro,
        ld,
      );
    }
    // A masked row keeps h and c (any gates it computed are never read: see lstmBackward).
    copyMaskedRows(stepMask, steps, t, b0, nb, prevH, h + at, stride, stride);
    copyMaskedRows(stepMask, steps, t, b0, nb, prevC, c + at, stride, stride);
  }
}

/** One row: the gates from z (+ bias) into gates (see activateSum); c, act(c) and h. */
function lstmGates(
  act: i32,
  recurrentAct: i32,
  z: usize,
  bias: usize,
  gates: usize,
  cPrev: usize,
  cOut: usize,
  tcOut: usize,
  hOut: usize,
  ld: i32,
): void {
  const gate = (<usize>ld) << 2;
  for (let k: usize = 0; k < 4; k++) {
    const block = k * gate;
    const b = bias != 0 ? bias + block : 0;
    activateSum(k == 2 ? act : recurrentAct, z + block, b, gates + block, gate);
  }
  for (let o: usize = 0; o < gate; o += 16) {
    const i = v128.load(gates + o);
    const f = v128.load(gates + gate + o);
    const g = v128.load(gates + 2 * gate + o);
    const og = v128.load(gates + 3 * gate + o);
    const cn = Vec.flushDenormals(f32x4.add(f32x4.mul(f, v128.load(cPrev + o)), f32x4.mul(i, g)));
    const tcn = Activation.apply(act, cn);
    v128.store(cOut + o, cn);
    v128.store(tcOut + o, tcn);
    v128.store(hOut + o, Vec.flushDenormals(f32x4.mul(og, tcn)));
  }
}

/**
 * BPTT for the rows [b0, b0 + nb): overwrites every step of G (the gates) with dz, the gradient
 * of the gates' pre-activations, from which weightGrad and projectInputGrad give the weights'
 * and the input's gradients. The gradient of the last states enters through dY's last step (h_T)
 * and dC (c_T); the initial states' leaves in dC (c0) and, unless 0, dh0 (h0).
 */
export function lstmBackward(
  act: i32,
  recurrentAct: i32,
  steps: i32,
  batch: i32,
  ld: i32,
  b0: i32,
  nb: i32,
  goBackwards: i32,
  returnSequences: i32,
  dy: usize,
  ut: usize,
  g: usize,
  c: usize,
  tc: usize,
  c0: usize,
  dh: usize,
  dc: usize,
  dh0: usize,
  rmask: usize,
  dh2: usize,
  stepMask: usize,
  carry: usize,
  rows: usize,
  packA: usize,
  packB: usize,
  packC: usize,
  recH: usize,
  recC: usize,
): void {
  if (nb <= 0 || steps <= 0) return;
  const stride = (<usize>ld) << 2;
  const gStride = stride << 2;
  const rowOff = <usize>b0 * stride;
  const gRowOff = <usize>b0 * gStride;
  const stepBytes = <usize>batch * stride;
  const gStepBytes = <usize>batch * gStride;
  const last = steps - 1;
  const kept = carry + rowOff;
  const skips = stepMask != 0 && rmask == 0;
  const list = rows + ((<usize>b0) << 2);
  for (let s = last; s >= 0; s--) {
    const t = timeIndex(s, steps, goBackwards);
    const gt = g + <usize>t * gStepBytes + gRowOff;
    // The gradient reaching h: dy alone at the last step, else what the step after's product
    // left in dH (with dy added there).
    let dhs = dh + rowOff;
    if (s == last) dhs = dy + (returnSequences != 0 ? <usize>last * stepBytes : 0) + rowOff;
    const cPrev = s == 0 ? c0 + rowOff : c + <usize>(s - 1) * stepBytes + rowOff;
    const at = <usize>s * stepBytes + rowOff;
    // A masked row's gradient of h passes to h_{s-1} (set aside here, added after the product);
    // its gradient of c stays in dC for c_{s-1}; its gates get none.
    if (s > 0 || dh0 != 0) copyMaskedRows(stepMask, steps, t, b0, nb, dhs, kept, stride, stride);
    // Recording: the gradient of h_s, and of c_s (a masked row's is the one it carries; the
    // others' are completed by lstmGateGrads).
    const recCs = recC != 0 ? recC + at : 0;
    if (recH != 0) recordStateGradient(recH + at, dhs, 0, nb, stride, stride);
    if (recC != 0) recordStateGradient(recCs, dc + rowOff, 0, nb, stride, stride);
    for (let r = 0; r < nb; r++) {
      if (stepMasked(stepMask, steps, b0 + r, t)) continue;
      const ro = <usize>r * stride;
      lstmGateGrads(
        act,
        recurrentAct,
        gt + <usize>r * gStride,
        dhs + ro,
        dc + rowOff + ro,
        tc + at + ro,
        cPrev + ro,
        dc + rowOff + ro,
        recCs != 0 ? recCs + ro : 0,
        ld,
      );
    }
    zeroMaskedRows(stepMask, steps, t, b0, nb, gt, gStride, gStride);
    if (s == 0 && dh0 == 0) break;
    // The gradient reaching h_{s-1} (h0's at s = 0): dz · Uᵀ (gate by gate with recurrent
    // dropout), plus dy.
    const dPrev = s == 0 ? dh0 + rowOff : dh + rowOff;
    const dyPrev = s > 0 && returnSequences != 0 ? dy + <usize>(s - 1) * stepBytes + rowOff : 0;
    const running = skips ? runningRows(stepMask, steps, t, b0, nb, list) : nb;
    if (running == nb) {
      gateProductsBack(
        gt,
        gStride,
        ut,
        stride,
        nb,
        ld,
        4,
        ld,
        dPrev,
        stride,
        dyPrev,
        stride,
        rmask != 0 ? rmask + rowOff : 0,
        stride,
        stepBytes,
        dh2 + rowOff,
        stride,
      );
    } else {
      productsBackRunning(
        list,
        running,
        nb,
        gt,
        gStride,
        ut,
        stride,
        ld,
        4,
        ld,
        dPrev,
        stride,
        dyPrev,
        packA + gRowOff,
        packB + rowOff,
        packC + rowOff,
      );
    }
    addMaskedRows(stepMask, steps, t, b0, nb, kept, dPrev, stride, stride);
  }
}

/**
 * One row: dz over the gates (i, f, g, o in z) and the gradient reaching the cell state of the
 * step before (dcOut, which may be dcIn); with dcTotal (not 0), the whole gradient of this
 * step's cell state too (for gradientFlow).
 */
function lstmGateGrads(
  act: i32,
  recurrentAct: i32,
  z: usize,
  dh: usize,
  dcIn: usize,
  tc: usize,
  cPrev: usize,
  dcOut: usize,
  dcTotal: usize,
  ld: i32,
): void {
  const gate = (<usize>ld) << 2;
  for (let o: usize = 0; o < gate; o += 16) {
    const i = v128.load(z + o);
    const f = v128.load(z + gate + o);
    const g = v128.load(z + 2 * gate + o);
    const og = v128.load(z + 3 * gate + o);
    const dhv = v128.load(dh + o);
    const tcv = v128.load(tc + o);
    const dcv = f32x4.add(
      v128.load(dcIn + o),
      f32x4.mul(f32x4.mul(dhv, og), Activation.derivative(act, tcv)),
    );
    if (dcTotal != 0) v128.store(dcTotal + o, dcv);
    const di = f32x4.mul(f32x4.mul(dcv, g), Activation.derivative(recurrentAct, i));
    const df = f32x4.mul(
      f32x4.mul(dcv, v128.load(cPrev + o)),
      Activation.derivative(recurrentAct, f),
    );
    const dg = f32x4.mul(f32x4.mul(dcv, i), Activation.derivative(act, g));
    const dout = f32x4.mul(f32x4.mul(dhv, tcv), Activation.derivative(recurrentAct, og));
    v128.store(z + o, Vec.flushTinyGradients(di));
    v128.store(z + gate + o, Vec.flushTinyGradients(df));
    v128.store(z + 2 * gate + o, Vec.flushTinyGradients(dg));
    v128.store(z + 3 * gate + o, Vec.flushTinyGradients(dout));
    v128.store(dcOut + o, Vec.flushTinyGradients(f32x4.mul(dcv, f)));
  }
}
