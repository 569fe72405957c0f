/**
 * Keras's Adam step over n floats, in place:
 *   m += (g - m) * (1 - beta1);  v += (g² - v) * (1 - beta2);  w -= m * alpha / (sqrt(v) + eps)
 * g² is g * g, or with g2 != 0 its values (an embedding table's: the sums of its per-lookup
 * rows' squares, Keras's IndexedSlices). Plain IEEE float32 operations (never fused, in either
 * build), in the order of the tfjs ops of src/optimizers/adam.ts, so that the results equal
 * those ops bit for bit.
 */
export function adamStep(
  n: i32,
  w: usize,
  g: usize,
  g2: usize,
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
    const sq = g2 != 0 ? v128.load(g2 + o) : f32x4.mul(gi, gi);
    const vi = f32x4.add(vPrev, f32x4.mul(f32x4.sub(sq, vPrev), c2));
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
    const sq = g2 != 0 ? load<f32>(g2 + o) : gi * gi;
    const vi = vPrev + (sq - vPrev) * oneMinusBeta2;
    const step = (mi * alpha) / (sqrt<f32>(vi) + epsilon);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, load<f32>(w + o) - step);
  }
}

/**
 * An embedding table's per-lookup gradient rows (Keras's IndexedSlices) summed per id: sum[id]
 * = Σ rows of that id, squares[id] = Σ of their squares (each square rounded to float32, then
 * added), every row added in turn as a scatter adds them. ids [lookups] i32 (each in [0,
 * numRows)), rows [lookups, width]; sum and squares [numRows, width] are overwritten.
 */
export function sumRowsPerId(
  numRows: i32,
  lookups: i32,
  width: i32,
  ids: usize,
  rows: usize,
  sum: usize,
  squares: usize,
): void {
  const rowBytes = (<usize>width) << 2;
  memory.fill(sum, 0, <usize>numRows * rowBytes);
  memory.fill(squares, 0, <usize>numRows * rowBytes);
  const vectorBytes = rowBytes & ~(<usize>15);
  for (let i = 0; i < lookups; i++) {
    const at = <usize>load<i32>(ids + ((<usize>i) << 2)) * rowBytes;
    const from = rows + <usize>i * rowBytes;
    const s = sum + at;
    const q = squares + at;
    for (let o: usize = 0; o < vectorBytes; o += 16) {
      const x = v128.load(from + o);
      v128.store(s + o, f32x4.add(v128.load(s + o), x));
      v128.store(q + o, f32x4.add(v128.load(q + o), f32x4.mul(x, x)));
    }
    for (let o = vectorBytes; o < rowBytes; o += 4) {
      const x = load<f32>(from + o);
      store<f32>(s + o, load<f32>(s + o) + x);
      store<f32>(q + o, load<f32>(q + o) + x * x);
    }
  }
}
