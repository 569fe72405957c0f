/**
 * The GRU cell over a whole sequence, in tfjs ops, in Keras 3's order of operations (gates
 * z, r, h in blocks of `units` columns; σ the recurrent activation):
 *
 *   resetAfter (Keras's default; bias [2, 3u]: row 0 input side, row 1 recurrent side):
 *     x = x_t · W + b_in;   m = h · U + b_rec
 *     z = σ(x_z + m_z),  r = σ(x_r + m_r),  hh = act(x_h + r ⊙ m_h)
 *   not resetAfter (bias [3u], input side only):
 *     x = x_t · W + b;   m = h · U[:, :2u]
 *     z = σ(x_z + m_z),  r = σ(x_r + m_r),  hh = act(x_h + (r ⊙ h) · U[:, 2u:])
 *   h = z ⊙ h + (1 - z) ⊙ hh
 *
 * Implementation 1 (Keras's, whenever recurrent dropout is on) computes each gate's products on
 * its own, with a dropout mask per gate on x_t and on h, projecting every step's input per gate
 * at once; implementation 2 projects each step's input inside the step, as Keras does. The
 * products go through `denseProduct`, the WebAssembly kernels' product where they run; tfjs's
 * automatic differentiation gives back-propagation through time. Pure tensor functions: no
 * configs, no layers.
 */
import * as tf from '@tensorflow/tfjs';
import { activationFn } from '../../layers/activations';
import { denseProduct } from '../dense';
import { type StepRunOptions, inputSteps, projectSteps, runSteps, timeSteps } from './sequence';

/** A GRU cell's weights, in Keras's layouts. */
export interface GruWeights {
  /** [features, 3 * units] */
  kernel: tf.Tensor2D;
  /** [units, 3 * units] */
  recurrentKernel: tf.Tensor2D;
  /** [2, 3 * units] with resetAfter, [3 * units] without; null without bias. */
  bias: tf.Tensor | null;
}

/** How a GRU runs over a sequence. */
export interface GruSequenceOptions extends StepRunOptions {
  /** Keras activation names. */
  activation: string;
  recurrentActivation: string;
  /** Apply the reset gate after the recurrent product (Keras's default) or before it. */
  resetAfter: boolean;
  /** Keras's implementation: 2 projects all gates at once, 1 gate by gate. */
  implementation: 1 | 2;
  /** Dropout masks of x_t (scaled): one with implementation 2, one per gate with 1. */
  inputMasks?: readonly tf.Tensor2D[];
  /** Dropout masks of h_{t-1} (scaled), one per gate: implementation 1 only. */
  recurrentMasks?: readonly tf.Tensor2D[];
  /** h_0: [batch, units]. Default: zeros. */
  initialState?: tf.Tensor2D;
}

/** The input-side and recurrent-side biases, each [3 * units] (the latter only with resetAfter). */
function splitBias(
  bias: tf.Tensor | null,
  resetAfter: boolean,
): { input: tf.Tensor1D | null; recurrent: tf.Tensor1D | null } {
  if (bias === null) return { input: null, recurrent: null };
  if (!resetAfter) return { input: bias as tf.Tensor1D, recurrent: null };
  const [input, recurrent] = tf.unstack(bias) as tf.Tensor1D[];
  return { input, recurrent };
}

/** The output and the last state [h]. */
export function gruSequence(
  x: tf.Tensor3D,
  weights: GruWeights,
  options: GruSequenceOptions,
): { output: tf.Tensor; states: tf.Tensor2D[] } {
  const act = activationFn(options.activation);
  const sigma = activationFn(options.recurrentActivation);
  const [batch] = x.shape;
  const units = weights.recurrentKernel.shape[0];
  const h0 = options.initialState ?? tf.zeros([batch, units]);
  const bias = splitBias(weights.bias, options.resetAfter);
  const [uz, ur, uh] = tf.split<tf.Tensor2D>(weights.recurrentKernel, 3, 1);
  /** h = z ⊙ h + (1 - z) ⊙ hh. */
  const mix = (z: tf.Tensor2D, h: tf.Tensor2D, hh: tf.Tensor2D): tf.Tensor2D =>
    tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));

  if (options.implementation === 2) {
    // Step by step, as Keras: cutting the inputs into steps copies less than cutting their
    // projection (3 * units wide).
    const steps = inputSteps(x, options.inputMasks?.[0]);
    const zr = options.resetAfter ? null : tf.concat([uz, ur], 1);
    return runSteps(
      [steps],
      [h0],
      (t, [h]) => {
        const projected = denseProduct(steps[t], weights.kernel, bias.input);
        const [xz, xr, xh] = tf.split<tf.Tensor2D>(projected, 3, 1);
        let inner: tf.Tensor2D = denseProduct(h, zr ?? weights.recurrentKernel, null);
        if (options.resetAfter && bias.recurrent !== null) inner = tf.add(inner, bias.recurrent);
        const parts = tf.split<tf.Tensor2D>(inner, options.resetAfter ? 3 : 2, 1);
        const z = sigma(tf.add(xz, parts[0])) as tf.Tensor2D;
        const r = sigma(tf.add(xr, parts[1])) as tf.Tensor2D;
        const recurrentH = options.resetAfter
          ? tf.mul(r, parts[2])
          : denseProduct(tf.mul<tf.Tensor2D>(r, h), uh, null);
        return [mix(z, h, act(tf.add(xh, recurrentH)) as tf.Tensor2D)];
      },
      options,
    );
  }

  const kernels = tf.split<tf.Tensor2D>(weights.kernel, 3, 1);
  const inputBias = bias.input === null ? null : tf.split<tf.Tensor1D>(bias.input, 3);
  const recurrentBias = bias.recurrent === null ? null : tf.split<tf.Tensor1D>(bias.recurrent, 3);
  const [xz, xr, xh] = kernels.map((kernel, k) =>
    timeSteps(projectSteps(x, kernel, inputBias?.[k] ?? null, options.inputMasks?.[k])),
  );
  const masked = (h: tf.Tensor2D, k: number): tf.Tensor2D => {
    const mask = options.recurrentMasks?.[k];
    return mask === undefined ? h : tf.mul(h, mask);
  };
  return runSteps(
    [xz, xr, xh],
    [h0],
    (t, [h]) => {
      let rz: tf.Tensor2D = denseProduct(masked(h, 0), uz, null);
      let rr: tf.Tensor2D = denseProduct(masked(h, 1), ur, null);
      if (options.resetAfter && recurrentBias !== null) {
        rz = tf.add(rz, recurrentBias[0]);
        rr = tf.add(rr, recurrentBias[1]);
      }
      const z = sigma(tf.add(xz[t], rz)) as tf.Tensor2D;
      const r = sigma(tf.add(xr[t], rr)) as tf.Tensor2D;
      let recurrentH: tf.Tensor2D;
      if (options.resetAfter) {
        recurrentH = denseProduct(masked(h, 2), uh, null);
        if (recurrentBias !== null) recurrentH = tf.add(recurrentH, recurrentBias[2]);
        recurrentH = tf.mul(r, recurrentH);
      } else {
        recurrentH = denseProduct(tf.mul(r, masked(h, 2)), uh, null);
      }
      return [mix(z, h, act(tf.add(xh[t], recurrentH)) as tf.Tensor2D)];
    },
    options,
  );
}
