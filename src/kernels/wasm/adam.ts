/**
 * Keras's Adam step for one variable in the kernels' module (SIMD, in place on copies of the
 * four arrays in its memory; an embedding table's per-lookup rows summed per id there first),
 * handing the new values to `use` as views of that memory. Same float32 operations in the same
 * order as the tfjs ops of src/optimizers/adam.ts: equal to them bit for bit.
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
  const given = inputs.gradient;
  const lookups = 'ids' in given ? given.ids.length : 0;
  const rowValues = 'ids' in given ? given.rows.length : 0;
  const sliced = 'ids' in given;
  const [w, g, g2, m, v, ids, rows] = allocate(rt, [
    n * 4,
    n * 4,
    sliced ? n * 4 : 0,
    n * 4,
    n * 4,
    lookups * 4,
    rowValues * 4,
  ]);
  try {
    const f32 = rt.heap.f32;
    f32.set(inputs.variable, w >> 2);
    if ('ids' in given) {
      // g and g² summed per id here (see sumRowsPerId).
      new Int32Array(f32.buffer, ids, lookups).set(given.ids);
      f32.set(given.rows, rows >> 2);
      const width = lookups === 0 ? 0 : rowValues / lookups;
      rt.exports.sumRowsPerId(width === 0 ? 0 : n / width, lookups, width, ids, rows, g, g2);
    } else {
      f32.set(given, g >> 2);
    }
    f32.set(inputs.momentum, m >> 2);
    f32.set(inputs.velocity, v >> 2);
    rt.exports.adamStep(n, w, g, g2, m, v, c.oneMinusBeta1, c.oneMinusBeta2, c.alpha, c.epsilon);
    // Views, not copies: `use` writes them where they go (a 10,000-value copy costs ~12 us).
    const view = (p: number): Float32Array => rt.heap.f32.subarray(p >> 2, (p >> 2) + n);
    use({ variable: view(w), momentum: view(m), velocity: view(v) });
  } finally {
    freeAll(rt, [w, g, g2, m, v, ids, rows]);
  }
}
