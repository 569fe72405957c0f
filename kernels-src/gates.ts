/**
 * What the gated cells' kernels (lstm.ts, gru.ts) share: the time order of a step, the gates'
 * activations, and the gradient of a recurrent kernel summed over every step and the whole
 * batch.
 */
import { ACT_RELU, ACT_SIGMOID, ACT_TANH, Linear, Relu, Sigmoid, Tanh } from './activations';
import { accumulateXtD } from './tiles';
import { addRows } from './util';

/** The input step that processing step s reads (goBackwards reverses the steps). */
export function timeIndex(s: i32, steps: i32, goBackwards: i32): i32 {
  return goBackwards != 0 ? steps - 1 - s : s;
}

/**
 * The rows [i0, i0 + ni) of C[., n] = sum over the steps s and the whole batch of
 * X_s^T · D_s (i0 and ni multiples of 4): the n columns of those rows are overwritten, the
 * others left alone (C may be a block of columns of a wider matrix, cStride floats a row).
 *
 * X [T, B, xStride floats] is in processing order; with `x0` != 0 step s reads the states of
 * step s - 1 (h_{s-1}), and step 0 reads x0 (the states before the first step); with `x0` 0
 * and `previous` set, step 0 has zero states and adds nothing. D [T, B, dStride floats] is in
 * the caller's time order when `dTimeOrder` (the gradients of the gates, at the input's time
 * index), else in processing order.
 *
 * With db != 0 also db[n] = the sum of every step's rows of D, in order (the job of the first
 * rows runs it: the pass over D is there anyway).
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
  x0: usize,
  d: usize,
  dStride: i32,
  dTimeOrder: i32,
  c: usize,
  cStride: i32,
  db: usize,
): void {
  if (ni <= 0) return;
  const xRow = (<usize>xStride) << 2;
  const dRow = (<usize>dStride) << 2;
  const cRow = (<usize>cStride) << 2;
  const bytes = (<usize>n) << 2;
  for (let i = i0; i < i0 + ni; i++) memory.fill(c + <usize>i * cRow, 0, bytes);
  if (db != 0) memory.fill(db, 0, bytes);
  for (let s = 0; s < steps; s++) {
    const dt = dTimeOrder != 0 ? timeIndex(s, steps, goBackwards) : s;
    const ds = d + <usize>dt * <usize>batch * dRow;
    let xs: usize = 0;
    if (previous == 0) xs = x + <usize>s * <usize>batch * xRow;
    else if (s > 0) xs = x + <usize>(s - 1) * <usize>batch * xRow;
    else xs = x0;
    if (xs != 0) accumulateXtD(xs, xRow, 0, 0, ds, dRow, batch, i0, i0 + ni, n, c, cRow);
    if (db != 0) addRows(ds, dRow, batch, n, db);
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
