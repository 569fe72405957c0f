/**
 * Whether this package's WebAssembly kernels run (the SimpleRNN layers' and Dense's products),
 * or tfjs ops (the fused tfjs-ops SimpleRNN kernel, tfjs's matMul): the kernels whenever they
 * load, unless TFJS_KERAS_RNN_KERNEL=fused.
 */
import { wasmKernelAvailable } from './wasm';

/** `fused` selects tfjs ops instead of the WebAssembly kernels. */
export const KERNEL_ENV_VAR = 'TFJS_KERAS_RNN_KERNEL';

export function useWasmKernel(): boolean {
  return process.env[KERNEL_ENV_VAR] !== 'fused' && wasmKernelAvailable();
}
