/**
 * LSTM and GRU layers, in any mix, over a whole sequence as one op with back-propagation through
 * time written by hand: in the WebAssembly kernels whenever they load (see `useWasmKernel`), the
 * sequence between two layers staying in the kernels' memory; else layer by layer as tfjs ops
 * (fused, or step by step for implementation 1 and for states in or out). One layer with its
 * initial and last states: `gatedSequence`. The same values either way (within float32
 * rounding).
 */
import * as tf from '@tensorflow/tfjs';
import { useWasmKernel } from '../kernel_choice';
import type { StateTap } from '../state_taps';
import type { FusedActivation } from '../fused_steps';
import { wasmGatedSequence, wasmGatedStack } from '../wasm';
import { ValueError } from '../../errors';
import { gruSequence } from './gru';
import { fusedGruSequence } from './gru_fused';
import { lstmSequence } from './lstm';
import { fusedLstmSequence } from './lstm_fused';
import { simpleRnnSequence } from '../simple_rnn';

/** How a gated layer runs over a sequence. */
export interface GatedRunOptions {
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
  /** GRU: the reset gate after the recurrent product (bias [2, 3u]); ignored by an LSTM. */
  resetAfter: boolean;
  /** Process the steps from last to first; outputs come in processing order. */
  goBackwards: boolean;
  /** Every h [batch, timesteps, units] (processing order), or the last [batch, units]. */
  returnSequences: boolean;
  /** Keras's step mask (see StepRunOptions in cells/sequence.ts). Default: every step runs. */
  stepMask?: tf.Tensor2D;
}

/**
 * Implementation 1's dropout masks (Keras's, whenever recurrent dropout is on: each gate's
 * products on their own, each with masks of its own), scaled, one per gate.
 */
export interface GateMasks {
  /** Of h_{t-1}: [batch, units] each, the same at every step; absent when not training. */
  recurrent?: readonly tf.Tensor2D[];
  /** Of x_t: [batch, features] each, the same at every step; absent without input dropout. */
  input?: readonly tf.Tensor2D[];
}

/**
 * One layer of a gated stack: its kind, weights (Keras's layouts) and options. A SimpleRNN
 * layer joins one as a cell of one block of columns without gates (`recurrentActivation` and
 * `resetAfter` unused; its dropout masks, one each, in `gateMasks`), when a stack mixes kinds.
 */
export interface GatedStackLayer {
  kind: 'SimpleRNN' | 'LSTM' | 'GRU';
  weights: { kernel: tf.Tensor2D; recurrentKernel: tf.Tensor2D; bias: tf.Tensor | null };
  options: GatedRunOptions;
  /** Implementation 2's input dropout of x_t, scaled: [batch, features], the same every step. */
  inputMask?: tf.Tensor2D;
  /**
   * Implementation 1 (Keras's sums gate by gate: x_k · W_k + b_k + h · U_k), with these masks
   * (none when not training). Absent: implementation 2.
   */
  gateMasks?: GateMasks;
  /**
   * Multiplies the layer's output sequence element by element before the next layer reads it
   * (a Dropout layer between the two, scaled): [batch, timesteps, units]. Not on the last.
   */
  outputMask?: tf.Tensor;
  /**
   * The states before the first step, in Keras's order (LSTM: h, c; GRU and SimpleRNN: h),
   * [batch, units] each; differentiable. Default: zeros.
   */
  initialStates?: readonly tf.Tensor2D[];
  /** Where its backward pass reports the gradients of its states (see state_taps.ts). */
  stateTap?: StateTap;
}

/** A gated layer's output and its last states (Keras's order: LSTM h, c; GRU and SimpleRNN h). */
export interface GatedSequenceResult {
  /** [batch, timesteps, units] with returnSequences, else [batch, units] (the last h itself). */
  output: tf.Tensor;
  /** [batch, units] each; none unless asked for. */
  states: tf.Tensor2D[];
}

/**
 * One layer as tfjs ops: fused (implementation 2 from zeros, no states out), or step by step
 * with tfjs's automatic differentiation (implementation 1's masks, initial states and last
 * states, which the fused ops do not take).
 */
function tfjsLayer(
  x: tf.Tensor3D,
  layer: GatedStackLayer,
  returnState: boolean,
): GatedSequenceResult {
  const { kind, weights, options, gateMasks, initialStates } = layer;
  const statesOf = (states: readonly tf.Tensor2D[]) => (returnState ? [...states] : []);
  // SimpleRNN and LSTM biases are vectors.
  const vectorBias = { ...weights, bias: weights.bias as tf.Tensor1D | null };
  if (kind === 'SimpleRNN') {
    const result = simpleRnnSequence(x, vectorBias, {
      activation: options.activation,
      goBackwards: options.goBackwards,
      returnSequences: options.returnSequences,
      recurrentMask: gateMasks?.recurrent?.[0],
      inputMask: gateMasks?.input?.[0],
      stepMask: options.stepMask,
      initialState: initialStates?.[0],
    });
    // The state is made when read (see resultWithLazyState): only when asked for.
    return { output: result.output, states: returnState ? [result.state] : [] };
  }
  if (gateMasks === undefined && initialStates === undefined && !returnState) {
    const output =
      kind === 'LSTM'
        ? fusedLstmSequence(x, vectorBias, options)
        : fusedGruSequence(x, weights, options);
    return { output, states: [] };
  }
  const stepOptions = {
    ...options,
    implementation: gateMasks === undefined ? (2 as const) : (1 as const),
    inputMasks: gateMasks?.input,
    recurrentMasks: gateMasks?.recurrent,
  };
  if (kind === 'GRU') {
    const result = gruSequence(x, weights, { ...stepOptions, initialState: initialStates?.[0] });
    return { output: result.output, states: statesOf(result.states) };
  }
  if (initialStates !== undefined && initialStates.length !== 2) {
    throw new ValueError(
      `LSTM: expected 2 initial states (h, c), received ${initialStates.length}.`,
    );
  }
  const result = lstmSequence(x, vectorBias, {
    ...stepOptions,
    initialStates: initialStates === undefined ? undefined : [initialStates[0], initialStates[1]],
  });
  return { output: result.output, states: statesOf(result.states) };
}

/**
 * One layer (LSTM, GRU, or a SimpleRNN) over every step of `x` [batch, timesteps, features]
 * from its `initialStates` (default zeros): its output and, with `returnState`, its last states
 * (Keras's order; a masked step carries them). In the WebAssembly kernels whenever they load
 * (see `wasmGatedSequence`: one op, differentiable with respect to x, the weights and the
 * initial states, from the output and from the last states); else step by step as tfjs ops
 * (the fused ops when no state goes in or out). The layer takes no `outputMask`.
 */
export function gatedSequence(
  x: tf.Tensor3D,
  layer: GatedStackLayer,
  { returnState }: { returnState: boolean },
): GatedSequenceResult {
  if (useWasmKernel()) return wasmGatedSequence(x, layer, { returnState });
  const { inputMask, ...rest } = layer;
  const h = inputMask === undefined ? x : tf.mul<tf.Tensor3D>(x, tf.expandDims(inputMask, 1));
  return tfjsLayer(h, rest, returnState);
}

/**
 * Runs gated layers (and SimpleRNN layers among them) one after another over every step of `x`
 * [batch, timesteps, features], each reading every output step of the one before (so every
 * layer but the last must return sequences), times its `outputMask` when it has one: the output
 * of the last. A layer with an input mask (implementation 2's input dropout) after the first
 * starts a kernel stack of its own; step masks do not (each layer reads its own, see
 * `wasmGatedStack`).
 */
export function gatedStack(x: tf.Tensor3D, layers: readonly GatedStackLayer[]): tf.Tensor {
  const wasm = useWasmKernel();
  let h: tf.Tensor = x;
  let start = 0;
  for (let i = 1; i <= layers.length; i++) {
    if (i < layers.length && layers[i].inputMask === undefined && wasm) continue;
    // The first layer's input mask multiplies x as a tensor, and the last's output mask its
    // output: the stack's own layers carry neither.
    const segment = layers.slice(start, i).map(({ inputMask: _, ...layer }) => layer);
    const inputMask = layers[start].inputMask;
    if (inputMask !== undefined) h = tf.mul(h, tf.expandDims(inputMask, 1));
    const { outputMask, ...last } = segment[segment.length - 1];
    const run = [...segment.slice(0, -1), last];
    h = wasm
      ? wasmGatedStack(h as tf.Tensor3D, run)
      : tfjsLayer(h as tf.Tensor3D, last, false).output;
    if (outputMask !== undefined) h = tf.mul(h, outputMask);
    start = i;
  }
  return h;
}
