/**
 * Activations on f32x4 vectors, and their derivatives written with the output h = act(a).
 *
 * tanh is a rational approximation (Eigen's and XLA's: odd degree-13 numerator over an even
 * degree-6 denominator, the input clamped to [-9, 9], tiny inputs passed through); its error
 * against float64 tanh is below 4e-7 everywhere (tested; 3.95e-7 near |x| = 5.77). sigmoid is
 * 0.5 + 0.5 * tanh(a / 2) (absolute error below 2.5e-7).
 * NaN propagates through every activation (wasm's f32x4.min and max return NaN for a NaN lane).
 *
 * Static methods of a class only so that `@inline` is valid TypeScript syntax (for tools that
 * parse these files as TypeScript).
 */

import { Vec } from './simd';

export const ACT_LINEAR: i32 = 0;
export const ACT_TANH: i32 = 1;
export const ACT_SIGMOID: i32 = 2;
export const ACT_RELU: i32 = 3;

// The constants live in (per-instance) globals: V8 re-materializes a v128 constant at every
// use inside a loop, and loading it from a global is faster.
let MINUS_NINE: v128 = f32x4.splat(-9.0);
let NINE: v128 = f32x4.splat(9.0);
let A13: v128 = f32x4.splat(-2.76076847742355e-16);
let A11: v128 = f32x4.splat(2.00018790482477e-13);
let A9: v128 = f32x4.splat(-8.60467152213735e-11);
let A7: v128 = f32x4.splat(5.12229709037114e-8);
let A5: v128 = f32x4.splat(1.48572235717979e-5);
let A3: v128 = f32x4.splat(6.37261928875436e-4);
let A1: v128 = f32x4.splat(4.89352455891786e-3);
let B6: v128 = f32x4.splat(1.19825839466702e-6);
let B4: v128 = f32x4.splat(1.18534705686654e-4);
let B2: v128 = f32x4.splat(2.268434632439e-3);
let B0: v128 = f32x4.splat(4.89352518554385e-3);
let TINY: v128 = f32x4.splat(0.0004);
let HALF: v128 = f32x4.splat(0.5);
let ONE: v128 = f32x4.splat(1.0);

export class Activation {
  @inline static tanh(a: v128): v128 {
    // pmin/pmax are one instruction each on x86 (min/max need ~8 for their -0 and NaN rules);
    // a NaN lane still comes through both: (9 < NaN) and (NaN < -9) are false.
    const x = f32x4.pmax(f32x4.pmin(a, NINE), MINUS_NINE);
    const x2 = f32x4.mul(x, x);
    let p = Vec.madd(x2, A13, A11);
    p = Vec.madd(p, x2, A9);
    p = Vec.madd(p, x2, A7);
    p = Vec.madd(p, x2, A5);
    p = Vec.madd(p, x2, A3);
    p = Vec.madd(p, x2, A1);
    p = f32x4.mul(p, x);
    let q = Vec.madd(x2, B6, B4);
    q = Vec.madd(q, x2, B2);
    q = Vec.madd(q, x2, B0);
    const r = f32x4.div(p, q);
    // Below 4e-4 in magnitude tanh(x) is x to float32 precision (this also keeps -0).
    const tiny = f32x4.lt(f32x4.abs(x), TINY);
    return v128.bitselect(x, r, tiny);
  }

  @inline static apply(act: i32, a: v128): v128 {
    if (act == ACT_TANH) return Activation.tanh(a);
    if (act == ACT_SIGMOID) return Vec.madd(HALF, Activation.tanh(f32x4.mul(HALF, a)), HALF);
    if (act == ACT_RELU) return f32x4.max(a, f32x4.splat(0.0));
    return a;
  }

  /** act'(a) from h = act(a); NaN where h is NaN. */
  @inline static derivative(act: i32, h: v128): v128 {
    if (act == ACT_TANH) return f32x4.sub(ONE, f32x4.mul(h, h));
    if (act == ACT_SIGMOID) return f32x4.mul(h, f32x4.sub(ONE, h));
    if (act == ACT_RELU) {
      const step = v128.and(f32x4.gt(h, f32x4.splat(0.0)), ONE);
      return v128.bitselect(h, step, f32x4.ne(h, h));
    }
    return ONE;
  }
}
