/**
 * What the gated cells' kernels (lstm.ts, gru.ts) share: the recurrent products of every gate
 * and their gradient (with implementation 1's dropout masks, gate by gate), the input gradient
 * with those masks, and the gates' activations.
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
import { multiplyRows } from './products';
import { EPI_BACKWARD, EPI_FORWARD, matmulEpilogue, setEpilogue } from './tiles';

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
