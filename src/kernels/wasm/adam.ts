/**
 * Keras's Adam step for one variable in the kernels' module (SIMD, in place on copies of the
 * four arrays in its memory). Same float32 operations in the same order as the tfjs ops of
 * src/optimizers/adam.ts: equal to them bit for bit.
 */
import type { AdamStepConstants, AdamStepValues } from '../../optimizers/adam_step_values';
import { kernelRuntime } from './runtime';

export function wasmAdamStepValues(
  variable: ArrayLike<number>,
  gradient: ArrayLike<number>,
  momentum: ArrayLike<number>,
  velocity: ArrayLike<number>,
  c: AdamStepConstants,
): AdamStepValues {
  const rt = kernelRuntime();
  const n = variable.length;
  const block = rt.heap.alloc(4 * n * 4);
  try {
    const [w, g, m, v] = [0, 1, 2, 3].map((k) => block + k * n * 4) as [
      number,
      number,
      number,
      number,
    ];
    const f32 = rt.heap.f32;
    f32.set(variable, w >> 2);
    f32.set(gradient, g >> 2);
    f32.set(momentum, m >> 2);
    f32.set(velocity, v >> 2);
    rt.exports.adamStep(n, w, g, m, v, c.oneMinusBeta1, c.oneMinusBeta2, c.alpha, c.epsilon);
    const out = (p: number): Float32Array => rt.heap.f32.slice(p >> 2, (p >> 2) + n);
    return { variable: out(w), momentum: out(m), velocity: out(v) };
  } finally {
    rt.heap.free(block);
  }
}
