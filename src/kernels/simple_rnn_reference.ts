/**
 * The SimpleRNN recurrence step by step with tfjs's automatic differentiation: the reference the
 * fused kernel is tested against, and the path for activations the fused kernel does not cover.
 *
 *   h_t = act(x_t · W + h_{t-1} · U + b),   h_0 = initial state (zeros by default)
 */
import * as tf from '@tensorflow/tfjs';
import { activationFn } from '../layers/activations';

/** One SimpleRNN cell's weights, in Keras's layouts. */
export interface SimpleRnnWeights {
  /** [features, units] */
  kernel: tf.Tensor2D;
  /** [units, units] */
  recurrentKernel: tf.Tensor2D;
  /** [units], or null without bias. */
  bias: tf.Tensor1D | null;
}

export interface SimpleRnnSequenceOptions {
  /** A Keras activation name (see layers/activations.ts). */
  activation: string;
  /** Read the sequence from its last step to its first; outputs come in that processing order. */
  goBackwards: boolean;
  /** Return every step's output [batch, timesteps, units], or only the last [batch, units]. */
  returnSequences: boolean;
  /** Multiplies x_t at every step (inverted dropout, already scaled): [batch, features]. */
  inputMask?: tf.Tensor2D;
  /** Multiplies h_{t-1} at every step (already scaled): [batch, units]. */
  recurrentMask?: tf.Tensor2D;
  /** h_0: [batch, units]. Default: zeros. */
  initialState?: tf.Tensor2D;
}

export interface SimpleRnnSequenceResult {
  /** [batch, timesteps, units] or [batch, units] (see `returnSequences`). */
  readonly output: tf.Tensor;
  /**
   * The state after the last processed step: [batch, units]. With `returnSequences` the kernels
   * make it when it is first read (see resultWithLazyState).
   */
  readonly state: tf.Tensor2D;
}

/**
 * A result whose state `lastState` makes when it is first read, in the caller's tidy scope: a
 * layer that does not return its state never pays for it (a custom op of ~0.5 ms a batch on
 * the wasm backend for the stock model's first layer).
 */
export function resultWithLazyState(
  output: tf.Tensor,
  lastState: () => tf.Tensor2D,
): SimpleRnnSequenceResult {
  let state: tf.Tensor2D | undefined;
  return {
    output,
    get state(): tf.Tensor2D {
      state ??= lastState();
      return state;
    },
  };
}

/** The input projection of every step at once: (x ⊙ mask) · W + b, [batch, timesteps, units]. */
function projectInputs(
  x: tf.Tensor3D,
  weights: SimpleRnnWeights,
  inputMask?: tf.Tensor2D,
): tf.Tensor3D {
  const [batch, steps, features] = x.shape;
  const units = weights.kernel.shape[1];
  const masked = inputMask === undefined ? x : tf.mul(x, tf.expandDims(inputMask, 1));
  let projected: tf.Tensor2D = tf.matMul(
    tf.reshape(masked, [batch * steps, features]),
    weights.kernel,
  );
  if (weights.bias !== null) projected = tf.add(projected, weights.bias);
  return tf.reshape(projected, [batch, steps, units]);
}

/** The per-step slices [batch, units] of a [batch, timesteps, units] tensor, in time order. */
function timeSteps(projected: tf.Tensor3D): tf.Tensor2D[] {
  const [batch, steps, units] = projected.shape;
  // tf.unstack's gradient fails on an axis of size 1, so a single step is a reshape.
  if (steps === 1) return [tf.reshape(projected, [batch, units])];
  return tf.unstack(tf.transpose(projected, [1, 0, 2])) as tf.Tensor2D[];
}

/** Runs the recurrence over every step of `x` [batch, timesteps, features], one op at a time. */
export function simpleRnnSequenceReference(
  x: tf.Tensor3D,
  weights: SimpleRnnWeights,
  options: SimpleRnnSequenceOptions,
): SimpleRnnSequenceResult {
  const activation = activationFn(options.activation);
  return tf.tidy(() => {
    const [batch] = x.shape;
    const units = weights.kernel.shape[1];
    const inTimeOrder = timeSteps(projectInputs(x, weights, options.inputMask));
    // A reversed copy: tf.unstack's array is the op's output list on the gradient tape, and
    // reversing it in place silently swaps the gradients of the steps.
    const steps = options.goBackwards ? [...inTimeOrder].reverse() : inTimeOrder;
    let h: tf.Tensor2D = options.initialState ?? tf.zeros([batch, units]);
    const outputs: tf.Tensor2D[] = [];
    for (const step of steps) {
      const previous = options.recurrentMask === undefined ? h : tf.mul(h, options.recurrentMask);
      h = activation(tf.add(step, tf.matMul(previous, weights.recurrentKernel))) as tf.Tensor2D;
      if (options.returnSequences) outputs.push(h);
    }
    const output = options.returnSequences ? tf.stack(outputs, 1) : h;
    return { output, state: h };
  });
}
