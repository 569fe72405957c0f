/**
 * f32x4 multiply-add: one fused instruction in the relaxed-SIMD build (compiled with
 * `--use RELAXED_SIMD=1 --enable relaxed-simd`; used only where the runtime validates it),
 * else a multiply and an add.
 */
// @ts-ignore: RELAXED_SIMD is a compile-time constant that only the relaxed build defines.
const FMA: bool = isDefined(RELAXED_SIMD);

export class Vec {
  /** a * b + c */
  @inline static madd(a: v128, b: v128, c: v128): v128 {
    if (FMA) return f32x4.relaxed_madd(a, b, c);
    return f32x4.add(f32x4.mul(a, b), c);
  }
}
