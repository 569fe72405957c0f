/**
 * Dropout masks drawn in the kernels' module (kernels-src/dropout.ts): the numbers of the
 * JavaScript generator (src/layers/dropout_mask.ts), four at a time. A stock batch's
 * [64, 60, 80] mask took ~2 ms in JavaScript, on the main thread while the others wait.
 */
import { allocate, freeAll } from './buffers';
import { kernelRuntime, wasmKernelAvailable } from './runtime';

/** Shorter masks are drawn in JavaScript: the call and the copy cost more than they save. */
const MIN_WASM_MASK = 256;

/** mulberry32's state step: the state after n draws is state + n * STEP. */
const STEP = 0x6d2b79f5;

/**
 * Fills `out` with the mask of `rate` (0, or float32(1 / (1 - rate)) where the draw is at least
 * `rate`) from generator state `state`, and returns the state after it; in place when `out` is
 * a view of the kernels' memory. undefined, touching nothing, where the kernels do not load or
 * `out` is short: draw it in JavaScript then.
 */
export function wasmFillDropoutMask(
  out: Float32Array,
  state: number,
  rate: number,
): number | undefined {
  const n = out.length;
  if (n < MIN_WASM_MASK || !wasmKernelAvailable()) return undefined;
  // An int32 draw x (top bit flipped) is kept where x >= rate * 2^32 - 2^31, that is where
  // x >= its ceiling; at 2^31 (rate within 2^-32 of 1) nothing is kept.
  const threshold = Math.ceil(rate * 0x1_0000_0000 - 0x8000_0000);
  if (threshold > 0x7fff_ffff) {
    out.fill(0);
    return (state + Math.imul(n, STEP)) | 0;
  }
  const scale = Math.fround(1 / (1 - rate));
  const rt = kernelRuntime();
  if (out.buffer === rt.heap.f32.buffer) {
    return rt.exports.fillDropoutMask(out.byteOffset, n, state | 0, threshold, scale);
  }
  const [buffer] = allocate(rt, [n * 4]);
  try {
    const next = rt.exports.fillDropoutMask(buffer, n, state | 0, threshold, scale);
    out.set(rt.heap.f32.subarray(buffer >> 2, (buffer >> 2) + n));
    return next;
  } finally {
    freeAll(rt, [buffer]);
  }
}
