/**
 * SimpleRNN over a whole sequence: h_t = act(p_t + (h_{t-1} ⊙ mask) · W). The forward and
 * backward passes work on the rows [b0, b0 + nb) of the batch (one thread's share; rows are
 * independent), the kernel's gradient on a share of its rows.
 *
 * Layouts (byte pointers, row stride ld floats, ld = units rounded up to a multiple of 4):
 *   P, dP  [T, B, ld]  the input projection and its gradient, in the caller's time order
 *   H      [T, B, ld]  every state, in processing order (goBackwards reverses the steps);
 *                      [2, B, ld] when `ring` (inference of the last state only)
 *   dY     [T, B, ld]  gradient of every state (returnSequences), else [B, ld] of the last
 *   h0, dh0, mask [B, ld]; W, WT [units, ld] (W[k, j]; WT[k, j] = W[j, k])
 *   dW     [ld, ld] (rows >= units are padding)
 *   HM     [2, B, ld]  scratch for h ⊙ mask (only with a mask)
 */
import { Activation } from './activations';
import { EPI_BACKWARD, EPI_FORWARD, accumulateXtD, matmulEpilogue, setEpilogue } from './tiles';

function timeIndex(s: i32, steps: i32, goBackwards: i32): i32 {
  return goBackwards != 0 ? steps - 1 - s : s;
}

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
): void {
  if (nb <= 0 || steps <= 0) return;
  const stride = (<usize>ld) << 2;
  const stepBytes = <usize>batch * stride;
  const rowOff = <usize>b0 * stride;
  const m = mask != 0 ? mask + rowOff : 0;
  // (h_{-1} ⊙ mask) goes to the scratch slot that step 0 reads.
  if (mask != 0) multiplyRows(h0 + rowOff, m, hm + stepBytes + rowOff, nb, ld, stride);
  for (let s = 0; s < steps; s++) {
    const slot = ring != 0 ? s & 1 : s;
    let prev: usize;
    if (mask != 0) prev = hm + <usize>((s - 1) & 1) * stepBytes + rowOff;
    else if (s == 0) prev = h0 + rowOff;
    else prev = h + <usize>(ring != 0 ? (s - 1) & 1 : s - 1) * stepBytes + rowOff;
    setEpilogue(
      EPI_FORWARD,
      act,
      h + <usize>slot * stepBytes + rowOff,
      p + <usize>timeIndex(s, steps, goBackwards) * stepBytes + rowOff,
      m,
      mask != 0 ? hm + <usize>(s & 1) * stepBytes + rowOff : 0,
      0,
    );
    matmulEpilogue(prev, w, nb, units, ld, stride);
  }
}

/**
 * BPTT for the rows [b0, b0 + nb): writes dP (caller's time order) and dh0, given H from the
 * forward pass. dP may be P's own buffer (P is not read here).
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
): void {
  if (nb <= 0 || steps <= 0) return;
  const stride = (<usize>ld) << 2;
  const stepBytes = <usize>batch * stride;
  const rowOff = <usize>b0 * stride;
  const m = mask != 0 ? mask + rowOff : 0;
  const last = steps - 1;
  const dyLast = dy + (returnSequences != 0 ? <usize>last * stepBytes : 0) + rowOff;
  scaleByDerivative(
    act,
    dyLast,
    h + <usize>last * stepBytes + rowOff,
    dp + <usize>timeIndex(last, steps, goBackwards) * stepBytes + rowOff,
    nb,
    ld,
    stride,
  );
  for (let s = last; s >= 1; s--) {
    setEpilogue(
      EPI_BACKWARD,
      act,
      dp + <usize>timeIndex(s - 1, steps, goBackwards) * stepBytes + rowOff,
      returnSequences != 0 ? dy + <usize>(s - 1) * stepBytes + rowOff : 0,
      m,
      0,
      h + <usize>(s - 1) * stepBytes + rowOff,
    );
    matmulEpilogue(
      dp + <usize>timeIndex(s, steps, goBackwards) * stepBytes + rowOff,
      wt,
      nb,
      units,
      ld,
      stride,
    );
  }
  setEpilogue(EPI_BACKWARD, act, dh0 + rowOff, 0, m, 0, 0);
  matmulEpilogue(
    dp + <usize>timeIndex(0, steps, goBackwards) * stepBytes + rowOff,
    wt,
    nb,
    units,
    ld,
    stride,
  );
}

/**
 * The rows [i0, i0 + ni) of dW[ld, ld] = sum over steps and the whole batch of
 * (h_{t-1} ⊙ mask)^T · dA_t, with dA in dP (caller's time order) and h_{-1} = h0; i0 and ni
 * multiples of 4. Threads split dW's rows, not the batch: each element is summed in the same
 * order whatever the thread count. Overwrites those rows.
 */
export function simpleRnnKernelGrad(
  steps: i32,
  batch: i32,
  ld: i32,
  i0: i32,
  ni: i32,
  goBackwards: i32,
  h: usize,
  h0: usize,
  mask: usize,
  dp: usize,
  dw: usize,
): void {
  if (ni <= 0) return;
  const stride = (<usize>ld) << 2;
  const stepBytes = <usize>batch * stride;
  memory.fill(dw + <usize>i0 * stride, 0, <usize>ni * stride);
  for (let s = 0; s < steps; s++) {
    const x = s == 0 ? h0 : h + <usize>(s - 1) * stepBytes;
    const d = dp + <usize>timeIndex(s, steps, goBackwards) * stepBytes;
    accumulateXtD(x, mask, d, batch, i0, i0 + ni, ld, stride, dw);
  }
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
      v128.store(
        out + o,
        f32x4.mul(v128.load(g + o), Activation.derivative(act, v128.load(h + o))),
      );
    }
  }
}

function multiplyRows(a: usize, b: usize, out: usize, rows: i32, ld: i32, stride: usize): void {
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * stride;
    for (let j = 0; j < ld; j += 4) {
      const o = off + ((<usize>j) << 2);
      v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    }
  }
}
