/**
 * Whole-sequence recurrent kernels in WebAssembly (SIMD128, AssemblyScript in kernels-src/):
 * one call per layer per pass, split over worker threads that share one memory.
 */
export { wasmSimpleRnnRecurrence, pendingGradientCount } from './simple_rnn';
export {
  THREADS_ENV_VAR,
  getThreads,
  setThreads,
  wasmKernelAvailable,
  wasmKernelUnavailableReason,
} from './runtime';
export { WASM_PATH_ENV_VAR } from './module';
import { heapStats, type WasmKernelMemory } from './runtime';
import { pendingGradientCount } from './simple_rnn';
export type { WasmKernelMemory };

/** The kernels' memory: its size, what is in use, and forward passes waiting for a gradient. */
export function wasmKernelMemory(): WasmKernelMemory {
  return { ...heapStats(), pendingGradients: pendingGradientCount() };
}
