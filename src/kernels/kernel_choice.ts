/**
 * Whether this package's WebAssembly kernels run (the SimpleRNN layers' and Dense's products),
 * or tfjs ops (the fused tfjs-ops SimpleRNN kernel, tfjs's matMul): the kernels whenever they
 * load, unless TFJS_KERAS_RNN_KERNEL=fused.
 */
import {
  type KernelVariant,
  wasmKernelAvailable,
  wasmKernelInfo,
  wasmKernelUnavailableReason,
} from './wasm';

/** `fused` selects tfjs ops instead of the WebAssembly kernels. */
export const KERNEL_ENV_VAR = 'TFJS_KERAS_RNN_KERNEL';

export function useWasmKernel(): boolean {
  return process.env[KERNEL_ENV_VAR] !== 'fused' && wasmKernelAvailable();
}

/**
 * How a recurrent kind runs (for the activations tanh, sigmoid, relu and linear; an LSTM or a
 * GRU with another activation runs as `steps`): `sequence`, one WebAssembly kernel call per
 * layer and pass for the whole sequence, initial states, `returnState` and stateful layers
 * included; `fused`, one tfjs op per layer with hand-written back-propagation through time
 * (there an LSTM or a GRU whose states go in or out, with `initialState`, `returnState` or
 * `stateful`, runs as `steps`); `steps`, tfjs ops step by step, differentiated by tfjs, with
 * their matrix products in the WebAssembly kernels when those run. No kind reports `steps`
 * today.
 */
export type CellKernel = 'sequence' | 'fused' | 'steps';

/** How each recurrent kind runs now. */
export interface CellKernels {
  /** How SimpleRNN layers run. */
  SimpleRNN: CellKernel;
  /** How LSTM layers run. */
  LSTM: CellKernel;
  /** How GRU layers run. */
  GRU: CellKernel;
}

/** What the recurrent layers run, as `kernelInfo()` reports it. */
export type KernelInfo =
  | {
      /** This package's WebAssembly SIMD kernels. */
      kernel: 'wasm';
      /** The build: `relaxed-simd` (fused multiply-adds), `simd`, or `file` (TFJS_KERAS_RNN_WASM). */
      variant: KernelVariant;
      /** The threads a batch is split over, the main thread included (see `setThreads`). */
      threads: number;
      /** How each recurrent kind runs with them. */
      cells: CellKernels;
    }
  | {
      /** tfjs ops on the active backend. */
      kernel: 'fused';
      /** TFJS_KERAS_RNN_KERNEL=fused, or why the WebAssembly kernels do not load here. */
      reason: string;
      /** How each recurrent kind runs without them. */
      cells: CellKernels;
    };

/**
 * Which kernel the recurrent layers (and the Dense products that fit) run now: the WebAssembly
 * kernels, with their build and thread count, or tfjs ops and why; and how each recurrent
 * kind runs (`cells`). Loads the kernels the first
 * time, as the first layer call would. Throws only when TFJS_KERAS_RNN_THREADS is not a positive
 * integer (see `getThreads`).
 */
export function kernelInfo(): KernelInfo {
  const fused: CellKernels = { SimpleRNN: 'fused', LSTM: 'fused', GRU: 'fused' };
  if (process.env[KERNEL_ENV_VAR] === 'fused') {
    return { kernel: 'fused', reason: `${KERNEL_ENV_VAR}=fused is set`, cells: fused };
  }
  const unavailable = wasmKernelUnavailableReason();
  if (unavailable !== undefined) {
    return {
      kernel: 'fused',
      reason: `the WebAssembly kernels do not load: ${unavailable}`,
      cells: fused,
    };
  }
  const { variant, threads } = wasmKernelInfo();
  return {
    kernel: 'wasm',
    variant,
    threads,
    cells: { SimpleRNN: 'sequence', LSTM: 'sequence', GRU: 'sequence' },
  };
}
