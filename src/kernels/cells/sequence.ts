/**
 * What every cell kind's reference kernel does around its step: project every step's input at
 * once, cut the projection into steps, and run a step function over them in processing order
 * (goBackwards reads from the last step), collecting the outputs. tfjs's automatic
 * differentiation gives the back-propagation through time. Pure tensor functions.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * (x ⊙ mask) · kernel (+ bias) for every step at once: [batch, timesteps, width]. The same
 * values as the product step by step, one matMul instead of one a step.
 */
export function projectSteps(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  mask?: tf.Tensor2D,
): tf.Tensor3D {
  const [batch, steps, features] = x.shape;
  const width = kernel.shape[1];
  const masked = mask === undefined ? x : tf.mul(x, tf.expandDims(mask, 1));
  let projected: tf.Tensor2D = tf.matMul(tf.reshape(masked, [batch * steps, features]), kernel);
  if (bias !== null) projected = tf.add(projected, bias);
  return tf.reshape(projected, [batch, steps, width]);
}

/** Each step's input x_t ⊙ mask, [batch, features], in time order. */
export function inputSteps(x: tf.Tensor3D, mask?: tf.Tensor2D): tf.Tensor2D[] {
  return timeSteps(mask === undefined ? x : tf.mul(x, tf.expandDims(mask, 1)));
}

/** The per-step slices [batch, width] of a [batch, timesteps, width] tensor, in time order. */
export function timeSteps(projected: tf.Tensor3D): tf.Tensor2D[] {
  const [batch, steps, width] = projected.shape;
  // tf.unstack's gradient fails on an axis of size 1, so a single step is a reshape.
  if (steps === 1) return [tf.reshape(projected, [batch, width])];
  return tf.unstack(tf.transpose(projected, [1, 0, 2])) as tf.Tensor2D[];
}

/**
 * Which samples run at each step, from a step mask [batch, timesteps] of ones (the step runs)
 * and zeros (it is masked): one boolean [batch, 1] per step, in time order.
 */
function stepRuns(stepMask: tf.Tensor2D): tf.Tensor2D[] {
  return timeSteps(tf.expandDims<tf.Tensor3D>(stepMask, 2)).map((m) => tf.cast(m, 'bool'));
}

/** How a sequence is run. */
export interface StepRunOptions {
  /** Read the sequence from its last step to its first; outputs come in that processing order. */
  goBackwards: boolean;
  /** Return every step's output [batch, timesteps, units], or only the last [batch, units]. */
  returnSequences: boolean;
  /**
   * Keras's step mask: [batch, timesteps], 1 where the step runs and 0 where it is masked, in
   * input order (goBackwards reads it backwards with the inputs). At a masked step a sample's
   * states (h, and an LSTM's c) carry over unchanged and its output is the carried h; no
   * gradient reaches that step's input or gates. What a layer outputs at masked steps
   * (`zeroOutputForMask`) it applies itself. Default: every step runs.
   */
  stepMask?: tf.Tensor2D;
}

/** A cell's output: its first state. */
function outputOf(states: readonly tf.Tensor2D[]): tf.Tensor2D {
  const output = states.at(0);
  if (output === undefined) throw new Error('runSteps: a cell has at least one state.');
  return output;
}

/**
 * Runs `step` over the steps of one or more per-step inputs (each in time order, as
 * `timeSteps` cuts them) from `initial` states; `step` returns the new states, the output
 * first. The output of every step or of the last, and the last states.
 */
export function runSteps(
  inputs: readonly (readonly tf.Tensor2D[])[],
  initial: readonly tf.Tensor2D[],
  step: (t: number, states: readonly tf.Tensor2D[]) => tf.Tensor2D[],
  options: StepRunOptions,
): { output: tf.Tensor; states: tf.Tensor2D[] } {
  const count = inputs.at(0)?.length ?? 0;
  let states = [...initial];
  const outputs: tf.Tensor2D[] = [];
  const runs = options.stepMask === undefined ? undefined : stepRuns(options.stepMask);
  for (let i = 0; i < count; i++) {
    // Indices, not a reversed array: tf.unstack's array is the op's output list on the
    // gradient tape, and reversing it in place silently swaps the gradients of the steps.
    const t = options.goBackwards ? count - 1 - i : i;
    const next = step(t, states);
    // A masked sample keeps its states (Keras's TensorFlow backend: tf.where per step).
    const run = runs?.[t];
    states = run === undefined ? next : next.map((s, k) => tf.where(run, s, states[k]));
    if (options.returnSequences) outputs.push(outputOf(states));
  }
  return { output: options.returnSequences ? tf.stack(outputs, 1) : outputOf(states), states };
}
