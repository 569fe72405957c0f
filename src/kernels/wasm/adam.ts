/**
 * Keras's Adam step for one variable in the kernels' module (SIMD, in place on copies of the
 * four arrays in its memory). Same float32 operations in the same order as the tfjs ops of
 * src/optimizers/adam.ts: equal to them bit for bit.
 */
import type {
  AdamStepConstants,
  AdamStepInputs,
  AdamStepValues,
} from '../../optimizers/adam_step_values';
import { allocate, freeAll } from './buffers';
import { kernelRuntime } from './runtime';

export function wasmAdamStepValues(inputs: AdamStepInputs, c: AdamStepConstants): AdamStepValues {
  const rt = kernelRuntime();
  const n = inputs.variable.length;
  const [w, g, m, v] = allocate(rt, [n * 4, n * 4, n * 4, n * 4]);
  try {
    const f32 = rt.heap.f32;
    f32.set(inputs.variable, w >> 2);
    f32.set(inputs.gradient, g >> 2);
    f32.set(inputs.momentum, m >> 2);
    f32.set(inputs.velocity, v >> 2);
    rt.exports.adamStep(n, w, g, m, v, c.oneMinusBeta1, c.oneMinusBeta2, c.alpha, c.epsilon);
    const out = (p: number): Float32Array => rt.heap.f32.slice(p >> 2, (p >> 2) + n);
    return { variable: out(w), momentum: out(m), velocity: out(v) };
  } finally {
    freeAll(rt, [w, g, m, v]);
  }
}
