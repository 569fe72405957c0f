/**
 * The LSTM and GRU over a whole sequence as one op with back-propagation through time written by
 * hand: in the WebAssembly kernels whenever they load (see `useWasmKernel`), else as fused tfjs
 * ops. The same arguments and values either way (within float32 rounding).
 */
import type * as tf from '@tensorflow/tfjs';
import { useWasmKernel } from '../kernel_choice';
import { wasmGruSequence, wasmLstmSequence } from '../wasm';
import type { GruWeights } from './gru';
import { type FusedGruOptions, fusedGruSequence } from './gru_fused';
import type { LstmWeights } from './lstm';
import { type FusedLstmOptions, fusedLstmSequence } from './lstm_fused';

/** The output (h of every step, or of the last) of an LSTM over x [batch, timesteps, features]. */
export function lstmWholeSequence(
  x: tf.Tensor3D,
  weights: LstmWeights,
  options: FusedLstmOptions,
): tf.Tensor {
  return useWasmKernel()
    ? wasmLstmSequence(x, weights, options)
    : fusedLstmSequence(x, weights, options);
}

/** The output (h of every step, or of the last) of a GRU over x [batch, timesteps, features]. */
export function gruWholeSequence(
  x: tf.Tensor3D,
  weights: GruWeights,
  options: FusedGruOptions,
): tf.Tensor {
  return useWasmKernel()
    ? wasmGruSequence(x, weights, options)
    : fusedGruSequence(x, weights, options);
}
