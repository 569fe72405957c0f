/**
 * GRU over a whole sequence (gates z, r, h), in both reset modes, Keras's implementation 2 and
 * implementation 1 (gate k's products read x ⊙ m_k and h ⊙ r_k, a dropout mask per gate: the
 * caller projects x gate by gate, rmask gives the recurrent masks). With x = x_t · W + b_in
 * (project, every step at once):
 *   resetAfter:  m = h · U + b_rec;  z = σ(x_z + m_z), r = σ(x_r + m_r), hh = act(x_h + r ⊙ m_h)
 *   else:        m = h · U_zr;       z = σ(x_z + m_z), r = σ(x_r + m_r),
 *                hh = act(x_h + (r ⊙ h) · U_h)
 *   h = z ⊙ h + (1 - z) ⊙ hh
 * The passes over time work on the rows [b0, b0 + nb) of the batch (one thread's share); the
 * weights' gradients and the input's are products.ts's weightGrad and projectInputGrad
 * (gates.ts's gateInputGrad with input masks), with 3 ld columns.
 *
 * Layouts (byte pointers; ld = units rounded up to a multiple of 4, each gate a block of ld
 * columns, gl = 3 ld; the padding lanes are zero on input):
 *   G      [T, B, gl]  x in the caller's time order; the forward pass overwrites step t with
 *                      z, r and hh, the backward pass with the gradient of x
 *   M      [T, B, gl]  processing order. resetAfter: m, then its gradient in the backward
 *                      pass; else m_z, m_r and r ⊙ h (kept for U_h's gradient)
 *   H      [T, B, ld]  every state, in processing order; h0 [B, ld] the state before
 *   U [units, gl], UT [gl, ld]; biasRec [gl] (resetAfter; 0: none)
 *   dY     [T, B, ld] gradient of every output (processing order), else [B, ld] of the last
 *   Q, dH, dPrev [B, ld] scratch: (r ⊙ h) · U_h or its gradient, the gradient reaching h from
 *                      the step after, and its part that does not go through U
 *   rmask  [3, B, ld] implementation 1's recurrent dropout: a mask of h_{t-1} per gate (0:
 *                      none); HM, dH2 [B, ld] scratch for its products
 *   dh0    [B, ld]    the gradient reaching h0 (0: not computed)
 *   stepMask [B, T]   Keras's step mask, batch-major in the input's time order (0: none; see
 *                      step_mask.ts); carry [B, ld] the backward pass's scratch with it
 */
import { ACT_LINEAR, Activation } from './activations';
import { activateSum, gateProductsBack, recurrentProducts } from './gates';
import { multiplyRows, timeIndex } from './products';
import { Vec } from './simd';
import {
  addMaskedRows,
  copyMaskedRows,
  recordStateGradient,
  stepMasked,
  zeroMaskedRows,
} from './step_mask';
import { EPI_BACKWARD, EPI_FORWARD, matmulEpilogue, setEpilogue } from './tiles';

let ONE: v128 = f32x4.splat(1.0);

/** Every step's gates and states for the rows [b0, b0 + nb), from G = x · W + b_in. */
export function gruForward(
  act: i32,
  recurrentAct: i32,
  steps: i32,
  batch: i32,
  units: i32,
  ld: i32,
  b0: i32,
  nb: i32,
  goBackwards: i32,
  resetAfter: i32,
  g: usize,
  u: usize,
  biasRec: usize,
  h0: usize,
  m: usize,
  q: usize,
  h: usize,
  rmask: usize,
  hm: usize,
  stepMask: usize,
): void {
  if (nb <= 0 || steps <= 0) return;
  const stride = (<usize>ld) << 2;
  const gStride = stride * 3;
  const rowOff = <usize>b0 * stride;
  const gRowOff = <usize>b0 * gStride;
  const stepBytes = <usize>batch * stride;
  const gStepBytes = <usize>batch * gStride;
  const gate = stride;
  for (let s = 0; s < steps; s++) {
    const t = timeIndex(s, steps, goBackwards);
    const gt = g + <usize>t * gStepBytes + gRowOff;
    const ms = m + <usize>s * gStepBytes + gRowOff;
    const prev = s == 0 ? h0 + rowOff : h + <usize>(s - 1) * stepBytes + rowOff;
    const hs = h + <usize>s * stepBytes + rowOff;
    // Implementation 1's recurrent dropout: gate k's product reads h ⊙ r_k.
    const rm = rmask != 0 ? rmask + rowOff : 0;
    if (resetAfter != 0) {
      // m = h·U + b_rec (the bias is one row for every row: stride 0).
      recurrentProducts(
        prev,
        stride,
        u,
        gStride,
        nb,
        units,
        ld,
        3,
        ms,
        biasRec,
        0,
        rm,
        stepBytes,
        hm + rowOff,
      );
      for (let r = 0; r < nb; r++) {
        const go = <usize>r * gStride;
        const ro = <usize>r * stride;
        gruGatesAfter(act, recurrentAct, gt + go, ms + go, prev + ro, hs + ro, gate);
      }
    } else {
      recurrentProducts(
        prev,
        stride,
        u,
        gStride,
        nb,
        units,
        ld,
        2,
        ms,
        0,
        0,
        rm,
        stepBytes,
        hm + rowOff,
      );
      // r ⊙ h reads h ⊙ r_h with recurrent dropout.
      const prevH = rm != 0 ? hm + rowOff : prev;
      if (rm != 0) multiplyRows(prev, rm + 2 * stepBytes, prevH, nb, gate, stride);
      for (let r = 0; r < nb; r++) {
        const go = <usize>r * gStride;
        gruResetGates(recurrentAct, gt + go, ms + go, prevH + <usize>r * stride, gate);
      }
      // (r ⊙ h) · U_h
      setEpilogue(EPI_FORWARD, ACT_LINEAR, q + rowOff, stride, 0, 0, 0, 0, 0, 0, 0, 0);
      matmulEpilogue(ms + 2 * gate, gStride, u + 2 * gate, gStride, nb, units, ld);
      for (let r = 0; r < nb; r++) {
        const ro = <usize>r * stride;
        gruCandidate(act, gt + <usize>r * gStride, q + rowOff + ro, prev + ro, hs + ro, gate);
      }
    }
    // A masked row keeps h (the gates it computed are never read: see gruBackward).
    copyMaskedRows(stepMask, steps, t, b0, nb, prev, hs, stride, stride);
  }
}

/** One row, resetAfter: z, r (see activateSum) and hh over x, and h. */
function gruGatesAfter(
  act: i32,
  recurrentAct: i32,
  x: usize,
  m: usize,
  prev: usize,
  hOut: usize,
  gate: usize,
): void {
  activateSum(recurrentAct, x, m, x, 2 * gate);
  for (let o: usize = 0; o < gate; o += 16) {
    const r = v128.load(x + gate + o);
    const hh = Activation.apply(
      act,
      f32x4.add(v128.load(x + 2 * gate + o), f32x4.mul(r, v128.load(m + 2 * gate + o))),
    );
    v128.store(x + 2 * gate + o, hh);
    v128.store(hOut + o, Blend.state(v128.load(x + o), v128.load(prev + o), hh));
  }
}

/** One row, reset before: z and r over x (see activateSum), and r ⊙ h into m's third block. */
function gruResetGates(recurrentAct: i32, x: usize, m: usize, prev: usize, gate: usize): void {
  activateSum(recurrentAct, x, m, x, 2 * gate);
  for (let o: usize = 0; o < gate; o += 16) {
    v128.store(m + 2 * gate + o, f32x4.mul(v128.load(x + gate + o), v128.load(prev + o)));
  }
}

/** One row, reset before: hh = act(x_h + q) over x's third block, and h. */
function gruCandidate(act: i32, x: usize, q: usize, prev: usize, hOut: usize, gate: usize): void {
  for (let o: usize = 0; o < gate; o += 16) {
    const hh = Activation.apply(act, f32x4.add(v128.load(x + 2 * gate + o), v128.load(q + o)));
    v128.store(x + 2 * gate + o, hh);
    v128.store(hOut + o, Blend.state(v128.load(x + o), v128.load(prev + o), hh));
  }
}

class Blend {
  /** z ⊙ h + (1 - z) ⊙ hh, flushed. */
  @inline static state(z: v128, h: v128, hh: v128): v128 {
    return Vec.flushDenormals(f32x4.add(f32x4.mul(z, h), f32x4.mul(f32x4.sub(ONE, z), hh)));
  }
}

/**
 * BPTT for the rows [b0, b0 + nb): overwrites every step of G with the gradient of x (dz, dr,
 * da) and, with resetAfter, of M with the gradient of m (dz, dr, da ⊙ r); without it, the
 * gradient of m_zr is G's first two blocks and U_h's pairs M's third block with G's third.
 * The gradient of the last state enters through dY's last step; h0's leaves in dh0 (unless 0).
 */
export function gruBackward(
  act: i32,
  recurrentAct: i32,
  steps: i32,
  batch: i32,
  ld: i32,
  b0: i32,
  nb: i32,
  goBackwards: i32,
  returnSequences: i32,
  resetAfter: i32,
  dy: usize,
  ut: usize,
  g: usize,
  m: usize,
  h: usize,
  h0: usize,
  dh: usize,
  dPrev: usize,
  dq: usize,
  dh0: usize,
  rmask: usize,
  hm: usize,
  dh2: usize,
  stepMask: usize,
  carry: usize,
  recH: usize,
): void {
  if (nb <= 0 || steps <= 0) return;
  const stride = (<usize>ld) << 2;
  const gStride = stride * 3;
  const rowOff = <usize>b0 * stride;
  const gRowOff = <usize>b0 * gStride;
  const stepBytes = <usize>batch * stride;
  const gStepBytes = <usize>batch * gStride;
  const gate = stride;
  const last = steps - 1;
  const kept = carry + rowOff;
  for (let s = last; s >= 0; s--) {
    const t = timeIndex(s, steps, goBackwards);
    const gt = g + <usize>t * gStepBytes + gRowOff;
    const ms = m + <usize>s * gStepBytes + gRowOff;
    const prev = s == 0 ? h0 + rowOff : h + <usize>(s - 1) * stepBytes + rowOff;
    // dh = dy_s (+ what came back from the step after, in dH).
    let dys: usize = 0;
    if (returnSequences != 0) dys = dy + <usize>s * stepBytes + rowOff;
    else if (s == last) dys = dy + rowOff;
    const dhs: usize = s == last ? 0 : dh + rowOff;
    // Recording: the gradient of h_s is dy_s plus what came back (for gradientFlow).
    if (recH != 0) {
      const recRows = recH + <usize>s * stepBytes + rowOff;
      if (dys != 0) recordStateGradient(recRows, dys, dhs, nb, stride, stride);
      else recordStateGradient(recRows, dhs, 0, nb, stride, stride);
    }
    // A masked row's dh passes to h_{s-1} (set aside here, added after the product); its gates
    // and m get no gradient, nor h_{s-1} through them.
    if (s > 0 || dh0 != 0) {
      copyMaskedRows(stepMask, steps, t, b0, nb, dhs != 0 ? dhs : dys, kept, stride, stride);
      if (dhs != 0 && dys != 0) {
        addMaskedRows(stepMask, steps, t, b0, nb, dys, kept, stride, stride);
      }
    }
    for (let r = 0; r < nb; r++) {
      if (stepMasked(stepMask, steps, b0 + r, t)) continue;
      const go = <usize>r * gStride;
      const ro = <usize>r * stride;
      gruGateGrads(
        act,
        recurrentAct,
        resetAfter,
        gt + go,
        ms + go,
        prev + ro,
        dys != 0 ? dys + ro : 0,
        dhs != 0 ? dhs + ro : 0,
        dPrev + rowOff + ro,
        gate,
      );
    }
    zeroMaskedRows(stepMask, steps, t, b0, nb, gt, gStride, gStride);
    if (resetAfter != 0) zeroMaskedRows(stepMask, steps, t, b0, nb, ms, gStride, gStride);
    zeroMaskedRows(stepMask, steps, t, b0, nb, dPrev + rowOff, stride, stride);
    const rm = rmask != 0 ? rmask + rowOff : 0;
    if (resetAfter == 0) {
      // dq = da · U_hᵀ, then dr and the rest of dPrev (through h ⊙ r_h with recurrent dropout).
      setEpilogue(EPI_BACKWARD, ACT_LINEAR, dq + rowOff, stride, 0, 0, 0, 0, 0, 0, 0, 0);
      matmulEpilogue(gt + 2 * gate, gStride, ut + <usize>(2 * ld) * stride, stride, nb, ld, ld);
      const prevH = rm != 0 ? hm + rowOff : prev;
      if (rm != 0) multiplyRows(prev, rm + 2 * stepBytes, prevH, nb, gate, stride);
      for (let r = 0; r < nb; r++) {
        // A masked row's dr stays 0 (G's block), and so does its dPrev.
        if (stepMasked(stepMask, steps, b0 + r, t)) continue;
        const ro = <usize>r * stride;
        gruResetGrads(
          recurrentAct,
          gt + <usize>r * gStride,
          dq + rowOff + ro,
          prevH + ro,
          rm != 0 ? rm + 2 * stepBytes + ro : 0,
          dPrev + rowOff + ro,
          gate,
        );
      }
    }
    if (s == 0 && dh0 == 0) break;
    // The gradient reaching h_{s-1} (h0's at s = 0): dm · U_mᵀ (gate by gate with recurrent
    // dropout) + dPrev.
    const dhPrev = s == 0 ? dh0 + rowOff : dh + rowOff;
    gateProductsBack(
      resetAfter != 0 ? ms : gt,
      gStride,
      ut,
      stride,
      nb,
      ld,
      resetAfter != 0 ? 3 : 2,
      ld,
      dhPrev,
      stride,
      dPrev + rowOff,
      stride,
      rm,
      stride,
      stepBytes,
      dh2 + rowOff,
      stride,
    );
    addMaskedRows(stepMask, steps, t, b0, nb, kept, dhPrev, stride, stride);
  }
}

/**
 * One row: dz, da (and, resetAfter, dr) into x's blocks, dm into m's (resetAfter), and
 * dPrev = dh ⊙ z. dy, dhNext 0: none.
 */
function gruGateGrads(
  act: i32,
  recurrentAct: i32,
  resetAfter: i32,
  x: usize,
  m: usize,
  prev: usize,
  dy: usize,
  dhNext: usize,
  dPrev: usize,
  gate: usize,
): void {
  for (let o: usize = 0; o < gate; o += 16) {
    let dhv: v128;
    if (dy == 0) dhv = v128.load(dhNext + o);
    else if (dhNext == 0) dhv = v128.load(dy + o);
    else dhv = f32x4.add(v128.load(dy + o), v128.load(dhNext + o));
    const z = v128.load(x + o);
    const r = v128.load(x + gate + o);
    const hh = v128.load(x + 2 * gate + o);
    const da = Vec.flushTinyGradients(
      f32x4.mul(f32x4.mul(dhv, f32x4.sub(ONE, z)), Activation.derivative(act, hh)),
    );
    const dz = Vec.flushTinyGradients(
      f32x4.mul(
        f32x4.mul(dhv, f32x4.sub(v128.load(prev + o), hh)),
        Activation.derivative(recurrentAct, z),
      ),
    );
    v128.store(dPrev + o, f32x4.mul(dhv, z));
    v128.store(x + o, dz);
    v128.store(x + 2 * gate + o, da);
    if (resetAfter != 0) {
      const dr = Vec.flushTinyGradients(
        f32x4.mul(
          f32x4.mul(da, v128.load(m + 2 * gate + o)),
          Activation.derivative(recurrentAct, r),
        ),
      );
      v128.store(x + gate + o, dr);
      v128.store(m + o, dz);
      v128.store(m + gate + o, dr);
      v128.store(m + 2 * gate + o, Vec.flushTinyGradients(f32x4.mul(da, r)));
    }
  }
}

/**
 * One row, reset before: dr from dq into x's second block (prev: h, or h ⊙ r_h with recurrent
 * dropout); dPrev += dq ⊙ r (⊙ r_h: mask, 0 = none).
 */
function gruResetGrads(
  recurrentAct: i32,
  x: usize,
  dq: usize,
  prev: usize,
  mask: usize,
  dPrev: usize,
  gate: usize,
): void {
  for (let o: usize = 0; o < gate; o += 16) {
    const r = v128.load(x + gate + o);
    const dqv = v128.load(dq + o);
    const dr = f32x4.mul(
      f32x4.mul(dqv, v128.load(prev + o)),
      Activation.derivative(recurrentAct, r),
    );
    v128.store(x + gate + o, Vec.flushTinyGradients(dr));
    let back = f32x4.mul(dqv, r);
    if (mask != 0) back = f32x4.mul(back, v128.load(mask + o));
    v128.store(dPrev + o, f32x4.add(v128.load(dPrev + o), back));
  }
}
