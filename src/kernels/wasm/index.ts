/**
 * Whole-sequence recurrent kernels in WebAssembly (SIMD128, AssemblyScript in kernels-src/):
 * one call per layer per pass, split over worker threads that share one memory.
 */
import { pendingGradientCount } from './buffers';
import { heapStats, type WasmKernelMemory } from './runtime';

export { wasmSimpleRnnSequence, wasmSimpleRnnStack } from './simple_rnn_sequence';
export type { SimpleRnnStackLayer } from './simple_rnn_sequence';
export type { GatedStackRun } from './gated_sequence';
export type { MergedPlace } from './gated_passes';
export type { SimpleRnnStackHead } from './stack_head';
export { wasmSimpleRnnRecurrence } from './simple_rnn';
export {
  wasmGatedSequence,
  wasmGatedStack,
  wasmGatedStacks,
  wasmMergedStacks,
  wasmGruSequence,
  wasmLstmSequence,
} from './gated_sequence';
export { wasmAdamStepValues } from './adam';
export { wasmDense } from './dense';
export {
  THREADS_ENV_VAR,
  getThreads,
  setThreads,
  wasmKernelAvailable,
  wasmKernelInfo,
  wasmKernelUnavailableReason,
} from './runtime';
export { SIMD_ENV_VAR, WASM_PATH_ENV_VAR } from './module';
export type { KernelVariant } from './module';
export type { WasmKernelMemory };

/** The kernels' memory: its size, what is in use, and forward passes waiting for a gradient. */
export function wasmKernelMemory(): WasmKernelMemory {
  return { ...heapStats(), pendingGradients: pendingGradientCount() };
}
