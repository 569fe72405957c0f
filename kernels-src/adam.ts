/**
 * Keras's Adam step over n floats, in place:
 *   m += (g - m) * (1 - beta1);  v += (g² - v) * (1 - beta2);  w -= m * alpha / (sqrt(v) + eps)
 * Plain IEEE float32 operations (never fused, in either build), in the order of the tfjs ops of
 * src/optimizers/adam.ts, so that the results equal those ops bit for bit.
 */
export function adamStep(
  n: i32,
  w: usize,
  g: usize,
  m: usize,
  v: usize,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  alpha: f32,
  epsilon: f32,
): void {
  const c1 = f32x4.splat(oneMinusBeta1);
  const c2 = f32x4.splat(oneMinusBeta2);
  const a = f32x4.splat(alpha);
  const e = f32x4.splat(epsilon);
  const bytes = (<usize>n) << 2;
  const vectorBytes = bytes & ~(<usize>15);
  for (let o: usize = 0; o < vectorBytes; o += 16) {
    const gi = v128.load(g + o);
    const mPrev = v128.load(m + o);
    const vPrev = v128.load(v + o);
    const mi = f32x4.add(mPrev, f32x4.mul(f32x4.sub(gi, mPrev), c1));
    const vi = f32x4.add(vPrev, f32x4.mul(f32x4.sub(f32x4.mul(gi, gi), vPrev), c2));
    const step = f32x4.div(f32x4.mul(mi, a), f32x4.add(f32x4.sqrt(vi), e));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(w + o, f32x4.sub(v128.load(w + o), step));
  }
  for (let o = vectorBytes; o < bytes; o += 4) {
    const gi = load<f32>(g + o);
    const mPrev = load<f32>(m + o);
    const vPrev = load<f32>(v + o);
    const mi = mPrev + (gi - mPrev) * oneMinusBeta1;
    const vi = vPrev + (gi * gi - vPrev) * oneMinusBeta2;
    const step = (mi * alpha) / (sqrt<f32>(vi) + epsilon);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, load<f32>(w + o) - step);
  }
}
