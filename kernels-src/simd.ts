/**
 * f32x4 multiply-add: one fused instruction in the relaxed-SIMD build (compiled with
 * `--use RELAXED_SIMD=1 --enable relaxed-simd`; used only where the runtime validates it),
 * else a multiply and an add.
 */
// @ts-ignore: RELAXED_SIMD is a compile-time constant that only the relaxed build defines.
export const FMA: bool = isDefined(RELAXED_SIMD);

/** The smallest normal float32: below it, floats are denormal (x86 computes those ~100x slower). */
let FLT_MIN: v128 = f32x4.splat(1.17549435e-38);
/** Gradients below 2^-100 (about 7.9e-31) are flushed: their products would be denormal. */
let GRADIENT_FLOOR: v128 = f32x4.splat(7.888609052210118e-31);

export class Vec {
  /** Denormals (|v| < FLT_MIN) become 0, as TensorFlow's CPU kernels make them; NaN stays. */
  @inline static flushDenormals(v: v128): v128 {
    return v128.andnot(v, f32x4.lt(f32x4.abs(v), FLT_MIN));
  }

  /**
   * Gradients of magnitude below 2^-100 become 0 (NaN stays): in a long sequence they vanish
   * step by step, and once denormal every product with them costs ~100 times more. They are
   * far below anything an optimizer step can resolve.
   */
  @inline static flushTinyGradients(v: v128): v128 {
    return v128.andnot(v, f32x4.lt(f32x4.abs(v), GRADIENT_FLOOR));
  }

  /** a * b + c */
  @inline static madd(a: v128, b: v128, c: v128): v128 {
    if (FMA) return f32x4.relaxed_madd(a, b, c);
    return f32x4.add(f32x4.mul(a, b), c);
  }
}
