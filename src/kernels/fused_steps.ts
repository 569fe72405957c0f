/**
 * What the kernels with back-propagation through time written by hand (`tf.customGrad`: the
 * fused SimpleRNN, LSTM and GRU kernels) share: the activations whose derivative is a function of
 * their output, cutting a time-major tensor into its steps cheaply on every backend, and Keras's
 * step mask in their loops.
 */
import * as tf from '@tensorflow/tfjs';
import { denseProduct } from './dense';

/** Activations whose derivative this kernel computes from the output h = act(a). */
export const FUSED_ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'linear'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

export function isFusedActivation(name: string): name is FusedActivation {
  return (FUSED_ACTIVATIONS as readonly string[]).includes(name);
}

export function activateFused(name: FusedActivation, a: tf.Tensor2D): tf.Tensor2D {
  switch (name) {
    case 'tanh':
      return tf.tanh(a);
    case 'sigmoid':
      return tf.sigmoid(a);
    case 'relu':
      return tf.relu(a);
    case 'linear':
      return a;
  }
}

/** act'(a) written with h = act(a), for every step at once; null when it is 1 everywhere. */
export function derivativeFromOutput(name: FusedActivation, h: tf.Tensor): tf.Tensor | null {
  switch (name) {
    case 'tanh':
      return tf.sub(1, tf.square(h));
    case 'sigmoid':
      return tf.mul(h, tf.sub(1, h));
    case 'relu':
      return tf.step(h, 0);
    case 'linear':
      return null;
  }
}

/**
 * The slices [samples, units] along axis 0 of a [timesteps, samples, units] tensor, in time
 * order. Only for use inside the custom gradient: the slices are not on the gradient tape.
 *
 * Chosen per backend, measured on [60, 64, 100] (2 cores): wasm's unstack copies its whole input
 * for every slice (96 ms), while slices cut from one read of the data cost 3.7 ms; cpu's unstack
 * makes views (1.1 ms) and tensorflow's is native (0.6 ms).
 */
export function timeMajorSteps(timeMajor: tf.Tensor): tf.Tensor2D[] {
  const [count, samples, units] = timeMajor.shape as [number, number, number];
  if (count === 1) return [tf.reshape(timeMajor, [samples, units])];
  if (tf.getBackend() !== 'wasm') return tf.unstack(timeMajor, 0) as tf.Tensor2D[];
  const data = timeMajor.dataSync();
  const size = samples * units;
  return Array.from({ length: count }, (_, t) =>
    tf.tensor2d(data.subarray(t * size, (t + 1) * size), [samples, units], timeMajor.dtype),
  );
}

/** [a, b, c] -> [b, a, c]. */
export function swapLeadingAxes(t: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(t, [1, 0, 2]);
}

/** Stacks [batch, width] steps into [timesteps, batch, width]. */
export function stackSteps(list: tf.Tensor2D[]): tf.Tensor3D {
  return list.length === 1
    ? tf.expandDims<tf.Tensor3D>(list[0], 0)
    : (tf.stack<tf.Tensor2D>(list, 0) as tf.Tensor3D);
}

/** [timesteps, batch, width] -> [timesteps * batch, width]. */
export function flatSteps(t: tf.Tensor3D): tf.Tensor2D {
  const [steps, batch, width] = t.shape;
  return tf.reshape(t, [steps * batch, width]);
}

/** act' from act's output, for every step at once (ones for linear). */
export function derivativeOrOne(name: FusedActivation, out: tf.Tensor): tf.Tensor {
  return derivativeFromOutput(name, out) ?? tf.onesLike(out);
}

/** h_{t-1} of every step of `states` [timesteps, batch, units]: zeros, then all but the last. */
export function previousStates(states: tf.Tensor3D): tf.Tensor3D {
  const [count, batch, units] = states.shape;
  const first = tf.zeros<tf.Rank.R3>([1, batch, units]);
  if (count === 1) return first;
  return tf.concat<tf.Tensor3D>([first, tf.slice(states, [0, 0, 0], [count - 1, -1, -1])], 0);
}

/**
 * The gradients of x [batch, timesteps, features] (input order) and of the kernel W from the
 * gradient of the input projection x · W over every step, `dProjection` [timesteps * batch,
 * width] in processing order, with `xTime` the time-major inputs in that order.
 */
export function projectionGradients(
  dProjection: tf.Tensor2D,
  xTime: tf.Tensor3D,
  kernel: tf.Tensor2D,
  goBackwards: boolean,
): [tf.Tensor3D, tf.Tensor2D] {
  const [count, batch, features] = xTime.shape;
  const dW = denseProduct(tf.transpose(flatSteps(xTime)), dProjection, null);
  const dxTime = tf.reshape<tf.Rank.R3>(denseProduct(dProjection, tf.transpose(kernel), null), [
    count,
    batch,
    features,
  ]);
  return [swapLeadingAxes(goBackwards ? tf.reverse(dxTime, 0) : dxTime), dW];
}

/**
 * Keras's step mask (see StepRunOptions in cells/sequence.ts: [batch, timesteps], 1 where the
 * step runs, 0 where it is masked, in input order) cut once into one condition per step for a
 * fused kernel's loops, in processing order: boolean [batch, width], `width` the states' width.
 * As wide as the states because tfjs's `where` tiles a narrower condition at every call; cast
 * to boolean as the reference does, so that any non-zero entry runs the step.
 */
export function stepMaskRuns(
  stepMask: tf.Tensor2D,
  width: number,
  goBackwards: boolean,
): tf.Tensor2D[] {
  const timeMajor = tf.transpose(stepMask);
  const ordered = goBackwards ? tf.reverse(timeMajor, 0) : timeMajor;
  return timeMajorSteps(tf.cast(tf.tile(tf.expandDims(ordered, 2), [1, 1, width]), 'bool'));
}

/**
 * One step of a masked loop: where(run, ran, carried) per sample, with `run` a step's condition
 * from `stepMaskRuns`. Forward, a masked sample keeps its state (`ran` the step's candidate,
 * `carried` the state before it); backward, the gradient reaching a masked step's candidate is
 * zero (`carried` zeros) and the state's gradient passes to the state before it unchanged
 * (`ran` the step's own term, `carried` the state's gradient). A select, as the reference's,
 * rather than m ⊙ a + (1 - m) ⊙ b: one op instead of three, and a masked step's candidate never
 * leaks in through 0 ⊙ inf. Without a mask (`run` undefined), `ran` itself: not one op more
 * than a kernel without masks.
 */
export function maskedStep(
  run: tf.Tensor2D | undefined,
  ran: tf.Tensor2D,
  carried: tf.Tensor2D,
): tf.Tensor2D {
  return run === undefined ? ran : tf.where(run, ran, carried);
}

/**
 * A customGrad forward's tensors to save (`save`), with the step conditions after them: the
 * forward runs in a tidy that disposes everything it does not return or save, so the backward
 * pass finds the conditions cut once among the saved tensors (see `savedStepRuns`).
 */
export function withStepRuns(saved: tf.Tensor[], runs: tf.Tensor2D[] | null): tf.Tensor[] {
  return runs === null ? saved : [...saved, ...runs];
}

/** The step conditions that `withStepRuns` put after the first `count` saved tensors, if any. */
export function savedStepRuns(saved: tf.Tensor[], count: number): tf.Tensor2D[] | null {
  return saved.length > count ? (saved.slice(count) as tf.Tensor2D[]) : null;
}
