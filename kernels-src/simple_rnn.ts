/**
 * SimpleRNN over a whole sequence: p_t = x_t · Win + b, h_t = act(p_t + (h_{t-1} ⊙ mask) · W).
 * The passes over time work on the rows [b0, b0 + nb) of the batch (one thread's share; rows
 * are independent). The projection, the input's gradient and the weights' gradients are
 * products.ts's project, projectInputGrad and weightGrad (the weights' split into shares of the
 * gradient's rows, so that each sum runs in one order whatever the thread count).
 *
 * Layouts (byte pointers; ld = units and ldf = features rounded up to a multiple of 4; the
 * padding lanes are zero on input):
 *   x      [T, B, F]   the layer's input, time-major, row stride xStride floats: a layer's own
 *                      dense copy (each thread first swaps its rows of tfjs's batch-major copy:
 *                      swapLeadingAxes), input mask applied; or, in a stack of layers, the H of
 *                      the layer before (stride its ld)
 *   dx     [B, T, ldf] or [T, B, ldf] (strides given): time-major is the dY of the layer before
 *   P, dP  [T, B, ld]  the input projection and its gradient, in the caller's time order
 *   H      [T, B, ld]  every state, in processing order (goBackwards reverses the steps);
 *                      [2, B, ld] when `ring` (inference of the last state only)
 *   dY     [T, B, ld]  gradient of every state (processing order), else [B, ld] of the last
 *   h0, dh0, mask [B, ld]; maskIn [B, ldf]
 *   W, WT  [units, ld] (W[k, j]; WT[k, j] = W[j, k]); Win [F, ld]; WinT [units, ldf]
 *   dW     [ld, ld], dWin [ldf, ld] (rows past the true size are padding)
 *   HM     [2, B, ld]  scratch for h ⊙ mask (only with a mask)
 *   stepMask [B, T]    Keras's step mask, batch-major in the input's time order (0: none; see
 *                      step_mask.ts); carry [B, ld] the backward pass's scratch with it
 */
import { Activation } from './activations';
import { Vec } from './simd';
import { multiplyRows, timeIndex } from './products';
import { addMaskedRows, copyMaskedRows, recordStateGradient, zeroMaskedRows } from './step_mask';
import {
  EPI_BACKWARD,
  EPI_FORWARD,
  matmulEpilogue,
  setEpilogue,
  setFusedProjection,
} from './tiles';

/**
 * The recurrence over every step for the rows [b0, b0 + nb), from P. With features > 0 the
 * projection is not in P but computed in the epilogue from x (time-major, row stride xStride
 * floats), Win and bias (see setFusedProjection): for inputs of fewer than 4 features, where
 * writing and reading P costs more than the products.
 */
export function simpleRnnForward(
  act: i32,
  steps: i32,
  batch: i32,
  units: i32,
  ld: i32,
  b0: i32,
  nb: i32,
  goBackwards: i32,
  ring: i32,
  p: usize,
  w: usize,
  h0: usize,
  mask: usize,
  h: usize,
  hm: usize,
  features: i32,
  xStride: i32,
  x: usize,
  win: usize,
  bias: usize,
  stepMask: usize,
): void {
  if (nb <= 0 || steps <= 0) return;
  const stride = (<usize>ld) << 2;
  const stepBytes = <usize>batch * stride;
  const rowOff = <usize>b0 * stride;
  const m = mask != 0 ? mask + rowOff : 0;
  // (h_{-1} ⊙ mask) goes to the scratch slot that step 0 reads.
  if (mask != 0) multiplyRows(h0 + rowOff, m, hm + stepBytes + rowOff, nb, stride, stride);
  for (let s = 0; s < steps; s++) {
    const slot = ring != 0 ? s & 1 : s;
    const prevH =
      s == 0 ? h0 + rowOff : h + <usize>(ring != 0 ? (s - 1) & 1 : s - 1) * stepBytes + rowOff;
    const prevHm = hm + <usize>((s - 1) & 1) * stepBytes + rowOff;
    const hs = h + <usize>slot * stepBytes + rowOff;
    const hms = mask != 0 ? hm + <usize>(s & 1) * stepBytes + rowOff : 0;
    const t = timeIndex(s, steps, goBackwards);
    setEpilogue(
      EPI_FORWARD,
      act,
      hs,
      stride,
      features > 0 ? 0 : p + <usize>t * stepBytes + rowOff,
      stride,
      m,
      stride,
      hms,
      stride,
      0,
      0,
    );
    if (features > 0) {
      const xRow = (<usize>xStride) << 2;
      setFusedProjection(
        x + (<usize>t * <usize>batch + <usize>b0) * xRow,
        xRow,
        win,
        features,
        bias,
      );
    }
    matmulEpilogue(mask != 0 ? prevHm : prevH, stride, w, stride, nb, units, ld);
    if (stepMask != 0) {
      // A masked row keeps h_{s-1}, and h_{s-1} ⊙ mask for the next step's product.
      copyMaskedRows(stepMask, steps, t, b0, nb, prevH, hs, stride, stride);
      if (mask != 0) copyMaskedRows(stepMask, steps, t, b0, nb, prevHm, hms, stride, stride);
    }
  }
}

/**
 * BPTT for the rows [b0, b0 + nb): writes dP (caller's time order) and dh0 (unless dh0 is 0:
 * a state that was not an input needs no gradient), given H from the forward pass. dP may be
 * P's own buffer (P is not read here). With a step mask each step's epilogue leaves the
 * gradient g reaching h (no derivative): the rows masked at that step set theirs aside in
 * `carry` [B, ld] and get dP = 0, the others dP = g ⊙ act'(h); what was set aside joins the
 * gradient of the state before after its product. Without one, the epilogue applies act'.
 */
export function simpleRnnBackward(
  act: i32,
  steps: i32,
  batch: i32,
  units: i32,
  ld: i32,
  b0: i32,
  nb: i32,
  goBackwards: i32,
  returnSequences: i32,
  dy: usize,
  wt: usize,
  mask: usize,
  h: usize,
  dp: usize,
  dh0: usize,
  stepMask: usize,
  carry: usize,
  rec: usize,
): void {
  if (nb <= 0 || steps <= 0) return;
  const stride = (<usize>ld) << 2;
  const stepBytes = <usize>batch * stride;
  const rowOff = <usize>b0 * stride;
  const m = mask != 0 ? mask + rowOff : 0;
  const kept = carry + rowOff;
  const last = steps - 1;
  const dyLast = dy + (returnSequences != 0 ? <usize>last * stepBytes : 0) + rowOff;
  const tLast = timeIndex(last, steps, goBackwards);
  const hLast = h + <usize>last * stepBytes + rowOff;
  const dpLast = dp + <usize>tLast * stepBytes + rowOff;
  // Recording (rec, [T, B, ld] in processing order) needs each step's gradient of h before
  // act': the epilogue leaves it, and act' follows, as with a step mask.
  const split = stepMask != 0 || rec != 0;
  const recRows = rec != 0 ? rec + rowOff : 0;
  if (rec != 0)
    recordStateGradient(recRows + <usize>last * stepBytes, dyLast, 0, nb, stride, stride);
  splitStepGradient(act, stepMask, steps, tLast, b0, nb, dyLast, hLast, dpLast, kept, ld);
  for (let s = last; s >= 1; s--) {
    const out = dp + <usize>timeIndex(s - 1, steps, goBackwards) * stepBytes + rowOff;
    setEpilogue(
      EPI_BACKWARD,
      act,
      out,
      stride,
      returnSequences != 0 ? dy + <usize>(s - 1) * stepBytes + rowOff : 0,
      stride,
      m,
      stride,
      0,
      0,
      split ? 0 : h + <usize>(s - 1) * stepBytes + rowOff,
      stride,
    );
    matmulEpilogue(
      dp + <usize>timeIndex(s, steps, goBackwards) * stepBytes + rowOff,
      stride,
      wt,
      stride,
      nb,
      units,
      ld,
    );
    if (!split) continue;
    // g_{s-1}: what passed the rows masked at s joins it, then act' or, masked at s - 1, aside.
    const t = timeIndex(s, steps, goBackwards);
    addMaskedRows(stepMask, steps, t, b0, nb, kept, out, stride, stride);
    if (rec != 0) {
      recordStateGradient(recRows + <usize>(s - 1) * stepBytes, out, 0, nb, stride, stride);
    }
    const hPrev = h + <usize>(s - 1) * stepBytes + rowOff;
    const tPrev = timeIndex(s - 1, steps, goBackwards);
    splitStepGradient(act, stepMask, steps, tPrev, b0, nb, out, hPrev, out, kept, ld);
  }
  if (dh0 == 0) return;
  setEpilogue(EPI_BACKWARD, act, dh0 + rowOff, stride, 0, 0, m, stride, 0, 0, 0, 0);
  matmulEpilogue(
    dp + <usize>timeIndex(0, steps, goBackwards) * stepBytes + rowOff,
    stride,
    wt,
    stride,
    nb,
    units,
    ld,
  );
  const t0 = timeIndex(0, steps, goBackwards);
  addMaskedRows(stepMask, steps, t0, b0, nb, kept, dh0 + rowOff, stride, stride);
}

/**
 * A step's dP from g, the gradient reaching its h (rows `stride` bytes apart; g may be dP's own
 * rows): g ⊙ act'(h); with a step mask, the rows masked at input step t set g aside in `kept`
 * and get dP = 0 instead.
 */
function splitStepGradient(
  act: i32,
  stepMask: usize,
  steps: i32,
  t: i32,
  b0: i32,
  nb: i32,
  g: usize,
  h: usize,
  dp: usize,
  kept: usize,
  ld: i32,
): void {
  const stride = (<usize>ld) << 2;
  copyMaskedRows(stepMask, steps, t, b0, nb, g, kept, stride, stride);
  scaleByDerivative(act, g, h, dp, nb, ld, stride);
  zeroMaskedRows(stepMask, steps, t, b0, nb, dp, stride, stride);
}

/** out = g ⊙ act'(h), row by row. */
function scaleByDerivative(
  act: i32,
  g: usize,
  h: usize,
  out: usize,
  rows: i32,
  ld: i32,
  stride: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * stride;
    for (let j = 0; j < ld; j += 4) {
      const o = off + ((<usize>j) << 2);
      const da = f32x4.mul(v128.load(g + o), Activation.derivative(act, v128.load(h + o)));
      v128.store(out + o, Vec.flushTinyGradients(da));
    }
  }
}
