/**
 * The SimpleRNN recurrence step by step with tfjs's automatic differentiation: the reference the
 * fused kernel is tested against, and the path for activations the fused kernel does not cover.
 *
 *   h_t = act(x_t · W + h_{t-1} · U + b),   h_0 = initial state (zeros by default)
 */
import * as tf from '@tensorflow/tfjs';
import { activationFn } from '../layers/activations';
import { projectSteps, runSteps, timeSteps } from './cells/sequence';

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
  /** Keras's step mask (see StepRunOptions in cells/sequence.ts). Default: every step runs. */
  stepMask?: tf.Tensor2D;
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
    const steps = timeSteps(projectSteps(x, weights.kernel, weights.bias, options.inputMask));
    const h0 = options.initialState ?? tf.zeros([batch, units]);
    const { output, states } = runSteps(
      [steps],
      [h0],
      (t, [h]) => {
        const previous = options.recurrentMask === undefined ? h : tf.mul(h, options.recurrentMask);
        return [
          activation(tf.add(steps[t], tf.matMul(previous, weights.recurrentKernel))) as tf.Tensor2D,
        ];
      },
      options,
    );
    return { output, state: states[0] ?? h0 };
  });
}
