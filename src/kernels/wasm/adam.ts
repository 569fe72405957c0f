/**
 * Keras's Adam step for one variable in the kernels' module (SIMD, in place on copies of the
 * four arrays in its memory), handing the new values to `use` as views of that memory. Same
 * float32 operations in the same order as the tfjs ops of src/optimizers/adam.ts: equal to them
 * bit for bit.
 */
import type {
  AdamStepConstants,
  AdamStepInputs,
  AdamStepValues,
} from '../../optimizers/adam_step_values';
import { allocate, freeAll } from './buffers';
import { kernelRuntime } from './runtime';

export function wasmAdamStepValues(
  inputs: AdamStepInputs,
  c: AdamStepConstants,
  use: (next: AdamStepValues) => void,
): void {
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
    // Views, not copies: `use` writes them where they go (a 10,000-value copy costs ~12 us).
    const view = (p: number): Float32Array => rt.heap.f32.subarray(p >> 2, (p >> 2) + n);
    use({ variable: view(w), momentum: view(m), velocity: view(v) });
  } finally {
    freeAll(rt, [w, g, m, v]);
  }
}
