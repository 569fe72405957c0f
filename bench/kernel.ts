/**
 * Which recurrent kernels our layers run in a bench process: the WebAssembly SIMD kernels by
 * default, or the older fused tfjs-ops kernel while TFJS_KERAS_RNN_KERNEL=fused. The layer reads
 * the variable on every call, so one process can time both, switching around each call.
 */
import { KERNEL_ENV_VAR, kernelInfo } from '../src/kernels/kernel_choice';

export type KernelChoice = 'wasm' | 'fused';

/** Runs `fn` with TFJS_KERAS_RNN_KERNEL=fused when `kernel` is 'fused', and restores it after. */
export async function withKernel<T>(kernel: KernelChoice, fn: () => Promise<T>): Promise<T> {
  if (kernel !== 'fused') return fn();
  const before = process.env[KERNEL_ENV_VAR];
  process.env[KERNEL_ENV_VAR] = 'fused';
  try {
    return await fn();
  } finally {
    if (before === undefined) Reflect.deleteProperty(process.env, KERNEL_ENV_VAR);
    else process.env[KERNEL_ENV_VAR] = before;
  }
}

/**
 * What our recurrent layers run when `kernel` is asked for, e.g. `wasm relaxed-simd, 2 threads`, or
 * `fused` with the reason when the WebAssembly kernels are not what runs.
 */
export function describeKernel(kernel: KernelChoice): string {
  if (kernel === 'fused') return 'fused tfjs ops';
  const info = kernelInfo();
  if (info.kernel === 'fused') return `fused tfjs ops (${info.reason})`;
  return `wasm ${info.variant}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
}
