/**
 * Dropout masks: n floats, each 0 or `scale`, from a mulberry32 generator whose state before
 * element i is `state + (i + 1) * 0x6d2b79f5`: the same numbers as src/layers/dropout_mask.ts
 * draws in JavaScript, four lanes at a time (the state only ever adds a constant, so every
 * element's is known ahead). An element is kept where its 32-bit draw, with the top bit
 * flipped and read signed, is at least `threshold` (ceil(rate * 2^32 - 2^31)). Returns the
 * state after the n-th element.
 */
const STEP: i32 = 0x6d2b79f5;
const TOP_BIT: i32 = 0x80000000;

export function fillDropoutMask(out: usize, n: i32, state: i32, threshold: i32, scale: f32): i32 {
  const vectors = n & ~3;
  let s = i32x4(state + STEP, state + 2 * STEP, state + 3 * STEP, state + 4 * STEP);
  const step4 = i32x4.splat(4 * STEP);
  const one = i32x4.splat(1);
  const sixtyOne = i32x4.splat(61);
  const top = i32x4.splat(TOP_BIT);
  const limit = i32x4.splat(threshold);
  const kept = f32x4.splat(scale);
  for (let i = 0; i < vectors; i += 4) {
    let t = i32x4.mul(v128.xor(s, i32x4.shr_u(s, 15)), v128.or(s, one));
    t = v128.xor(i32x4.add(t, i32x4.mul(v128.xor(t, i32x4.shr_u(t, 7)), v128.or(t, sixtyOne))), t);
    const draw = v128.xor(v128.xor(t, i32x4.shr_u(t, 14)), top);
    v128.store(out + ((<usize>i) << 2), v128.and(i32x4.ge_s(draw, limit), kept));
    s = i32x4.add(s, step4);
  }
  for (let i = vectors; i < n; i++) {
    const si = state + (i + 1) * STEP;
    let t = (si ^ (si >>> 15)) * (si | 1);
    t = (t + (t ^ (t >>> 7)) * (t | 61)) ^ t;
    store<f32>(out + ((<usize>i) << 2), (t ^ (t >>> 14) ^ TOP_BIT) >= threshold ? scale : 0);
  }
  return state + n * STEP;
}
