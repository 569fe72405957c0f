/**
 * Activations on f32x4 vectors, and their derivatives written with the output h = act(a).
 *
 * tanh is TensorFlow's own CPU tanh, bit for bit: the [9/8] rational approximation of the Eigen
 * that TensorFlow 2.21's x86 wheels build (an odd numerator over an even denominator, minimax
 * coefficients), the input clamped to +-7.90738964 (where it reaches exactly 1), every multiply
 * and add rounded on its own (those wheels do not fuse them). Its error against float64 tanh is
 * below 3.3e-7 (tested); a test checks it against tanh computed by TensorFlow itself (a Keras
 * fixture). sigmoid is TensorFlow's too, bit for bit: Eigen's exp(x) / (1 + exp(x)) with exp of
 * x / 2 by range reduction (x = m ln 2 + r), a degree-5 polynomial in r, times 2^m, squared;
 * 0 below -104 and inputs clamped to 16.6355324 (where it reaches 1); denormal results are 0, as
 * TensorFlow flushes them. Its error against float64 is below 1.4e-7 (tested).
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
let TANH_CLAMP: v128 = f32x4.splat(7.90738964080810547);
let MINUS_TANH_CLAMP: v128 = f32x4.splat(-7.90738964080810547);
// Numerator: x + x^3 * (P3 + x^2 (P2 + x^2 (P1 + x^2 P0))).
let P0: v128 = f32x4.splat(1.394553628e-8);
let P1: v128 = f32x4.splat(2.10273356e-5);
let P2: v128 = f32x4.splat(3.520756727e-3);
let P3: v128 = f32x4.splat(1.3402161e-1);
// Denominator: 1 + x^2 (Q3 + x^2 (Q2 + x^2 (Q1 + x^2 Q0))).
let Q0: v128 = f32x4.splat(8.015776984e-7);
let Q1: v128 = f32x4.splat(3.326951409e-4);
let Q2: v128 = f32x4.splat(2.597254514e-2);
let Q3: v128 = f32x4.splat(4.67354834e-1);
let HALF: v128 = f32x4.splat(0.5);
let ONE: v128 = f32x4.splat(1.0);
// sigmoid: the range where it is neither 0 nor 1, and exp's range reduction and polynomial.
let SIGMOID_LOW: v128 = f32x4.splat(-104.0);
let SIGMOID_HIGH: v128 = f32x4.splat(16.6355324);
let LOG2_E: v128 = f32x4.splat(1.44269504088896341);
let LN2_HIGH: v128 = f32x4.splat(-0.693359375);
let LN2_LOW: v128 = f32x4.splat(2.1219444e-4);
let EXP_P2: v128 = f32x4.splat(0.49999141693115234375);
let EXP_P3: v128 = f32x4.splat(0.16666877269744873046875);
let EXP_P4: v128 = f32x4.splat(4.1898667812347412109375e-2);
let EXP_P5: v128 = f32x4.splat(8.33471305668354034423828125e-3);
let EXPONENT_BIAS: v128 = i32x4.splat(127);

export class Activation {
  /** a * b + c, rounded twice (as TensorFlow's tanh and sigmoid compute it: never fused). */
  @inline static mulAdd(a: v128, b: v128, c: v128): v128 {
    return f32x4.add(f32x4.mul(a, b), c);
  }

  @inline static tanh(a: v128): v128 {
    // pmin/pmax are one instruction each on x86 (min/max need ~8 for their -0 and NaN rules);
    // a NaN lane still comes through both: (c < NaN) and (NaN < -c) are false.
    const x = f32x4.pmax(f32x4.pmin(a, TANH_CLAMP), MINUS_TANH_CLAMP);
    const x2 = f32x4.mul(x, x);
    const x3 = f32x4.mul(x2, x);
    let p = Activation.mulAdd(P0, x2, P1);
    p = Activation.mulAdd(p, x2, P2);
    p = Activation.mulAdd(p, x2, P3);
    let q = Activation.mulAdd(Q0, x2, Q1);
    q = Activation.mulAdd(q, x2, Q2);
    q = Activation.mulAdd(q, x2, Q3);
    q = Activation.mulAdd(q, x2, ONE);
    // x (1 + x^2 p) as x^3 p + x: x itself for tiny x (-0 included).
    return f32x4.div(Activation.mulAdd(x3, p, x), q);
  }

  /** Not inlined: inlined into the epilogues it made their tanh path 2-4% slower here. */
  static sigmoid(a: v128): v128 {
    // exp(x) = exp(x / 2)^2 keeps 2^m normal; x / 2 = m ln 2 + r, ln 2 subtracted in two parts.
    const x = f32x4.mul(f32x4.pmin(a, SIGMOID_HIGH), HALF);
    const m = f32x4.floor(Activation.mulAdd(x, LOG2_E, HALF));
    let r = Activation.mulAdd(m, LN2_HIGH, x);
    r = Activation.mulAdd(m, LN2_LOW, r);
    const r2 = f32x4.mul(r, r);
    const even = Activation.mulAdd(r2, EXP_P4, EXP_P2);
    const odd = Activation.mulAdd(r2, EXP_P5, EXP_P3);
    let p = Activation.mulAdd(r, odd, even);
    p = Activation.mulAdd(r2, p, f32x4.add(r, ONE));
    // 2^m from its exponent bits (m is in [-75, 12] for a in [-104, 16.64]: exact).
    const twoToM = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(m), EXPONENT_BIAS), 23);
    let e = f32x4.mul(p, twoToM);
    e = f32x4.mul(e, e);
    const s = Vec.flushDenormals(f32x4.div(e, f32x4.add(ONE, e)));
    return v128.andnot(s, f32x4.lt(a, SIGMOID_LOW));
  }

  @inline static apply(act: i32, a: v128): v128 {
    if (act == ACT_TANH) return changetype<Tanh>(0).apply(a);
    if (act == ACT_SIGMOID) return changetype<Sigmoid>(0).apply(a);
    if (act == ACT_RELU) return changetype<Relu>(0).apply(a);
    return changetype<Linear>(0).apply(a);
  }

  /** act'(a) from h = act(a); NaN where h is NaN. */
  @inline static derivative(act: i32, h: v128): v128 {
    if (act == ACT_TANH) return changetype<Tanh>(0).derivative(h);
    if (act == ACT_SIGMOID) return changetype<Sigmoid>(0).derivative(h);
    if (act == ACT_RELU) return changetype<Relu>(0).derivative(h);
    return changetype<Linear>(0).derivative(h);
  }
}

/*
 * Each activation as a type: a loop written once as a generic function over one of these is
 * compiled once per activation, with no test of which one inside the loop (see tiles.ts's
 * epilogue). Calling a choice of inlined bodies with a constant does not do that: the
 * optimizer folds the copies, which differ only in that constant, back into one loop that tests
 * it at every element. Use as `changetype<Tanh>(0)` (no fields: nothing is read from memory).
 */

@final
export class Tanh {
  @inline apply(a: v128): v128 {
    return Activation.tanh(a);
  }

  @inline derivative(h: v128): v128 {
    return f32x4.sub(ONE, f32x4.mul(h, h));
  }
}

@final
export class Sigmoid {
  @inline apply(a: v128): v128 {
    return Activation.sigmoid(a);
  }

  @inline derivative(h: v128): v128 {
    return f32x4.mul(h, f32x4.sub(ONE, h));
  }
}

@final
export class Relu {
  @inline apply(a: v128): v128 {
    return f32x4.max(a, f32x4.splat(0.0));
  }

  @inline derivative(h: v128): v128 {
    const step = v128.and(f32x4.gt(h, f32x4.splat(0.0)), ONE);
    return v128.bitselect(h, step, f32x4.ne(h, h));
  }
}

@final
export class Linear {
  @inline apply(a: v128): v128 {
    return a;
  }

  @inline derivative(h: v128): v128 {
    return ONE;
  }
}
