/**
 * The LSTM cell over a whole sequence, in tfjs ops, in Keras 3's order of operations (gates
 * i, f, c, o in blocks of `units` columns):
 *
 *   implementation 2 (Keras's default):
 *     z = x_t · W + h · U + b;   i, f, g, o = split(z)
 *   implementation 1 (Keras's, whenever recurrent dropout is on), gate by gate:
 *     z_k = (x_t ⊙ m_k) · W_k + b_k + (h ⊙ r_k) · U_k
 *   i = σ(z_i), f = σ(z_f), o = σ(z_o), c = f ⊙ c + i ⊙ act(z_g),   h = o ⊙ act(c)
 *
 * σ is the recurrent activation. Implementation 2 projects each step's input inside the step,
 * as Keras does; implementation 1 projects every step's input per gate at once. The products
 * go through `denseProduct`, the WebAssembly kernels' product where they run (tf.matMul is slow
 * at these sizes on the wasm backend); tfjs's automatic differentiation gives back-propagation
 * through time. Pure tensor functions: no configs, no layers.
 */
import * as tf from '@tensorflow/tfjs';
import { activationFn } from '../../layers/activations';
import { denseProduct } from '../dense';
import { type StepRunOptions, inputSteps, projectSteps, runSteps, timeSteps } from './sequence';

/** An LSTM cell's weights, in Keras's layouts. */
export interface LstmWeights {
  /** [features, 4 * units] */
  kernel: tf.Tensor2D;
  /** [units, 4 * units] */
  recurrentKernel: tf.Tensor2D;
  /** [4 * units], or null without bias. */
  bias: tf.Tensor1D | null;
}

/** How an LSTM runs over a sequence. */
export interface LstmSequenceOptions extends StepRunOptions {
  /** Keras activation names. */
  activation: string;
  recurrentActivation: string;
  /** Keras's implementation: 2 sums x·W + h·U + b at once, 1 gate by gate. */
  implementation: 1 | 2;
  /** Dropout masks of x_t (scaled): one with implementation 2, one per gate with 1. */
  inputMasks?: readonly tf.Tensor2D[];
  /** Dropout masks of h_{t-1} (scaled), one per gate: implementation 1 only. */
  recurrentMasks?: readonly tf.Tensor2D[];
  /** h_0 and c_0: [batch, units] each. Default: zeros. */
  initialStates?: readonly [tf.Tensor2D, tf.Tensor2D];
}

/** The output and the last states [h, c]. */
export function lstmSequence(
  x: tf.Tensor3D,
  weights: LstmWeights,
  options: LstmSequenceOptions,
): { output: tf.Tensor; states: tf.Tensor2D[] } {
  const act = activationFn(options.activation);
  const sigma = activationFn(options.recurrentActivation);
  const [batch] = x.shape;
  const units = weights.recurrentKernel.shape[0];
  const initial = options.initialStates ?? [tf.zeros([batch, units]), tf.zeros([batch, units])];
  /** The new [h, c] from the four gates' pre-activations. */
  const carry = (
    zi: tf.Tensor2D,
    zf: tf.Tensor2D,
    zg: tf.Tensor2D,
    zo: tf.Tensor2D,
    c: tf.Tensor2D,
  ): tf.Tensor2D[] => {
    const i = sigma(zi);
    const f = sigma(zf);
    const cNext = tf.add<tf.Tensor2D>(tf.mul(f, c), tf.mul(i, act(zg)));
    const o = sigma(zo);
    return [tf.mul<tf.Tensor2D>(o, act(cNext)), cNext];
  };
  if (options.implementation === 2) {
    // Step by step, as Keras: cutting the inputs into steps copies less than cutting their
    // projection (4 * units wide), which took ~360 ms of a 460 ms stock-shape batch on wasm.
    const steps = inputSteps(x, options.inputMasks?.[0]);
    return runSteps(
      [steps],
      initial,
      (t, [h, c]) => {
        let z: tf.Tensor2D = tf.add(
          denseProduct(steps[t], weights.kernel, null),
          denseProduct(h, weights.recurrentKernel, null),
        );
        if (weights.bias !== null) z = tf.add(z, weights.bias);
        const [zi, zf, zg, zo] = tf.split<tf.Tensor2D>(z, 4, 1);
        return carry(zi, zf, zg, zo, c);
      },
      options,
    );
  }
  const kernels = tf.split<tf.Tensor2D>(weights.kernel, 4, 1);
  const recurrent = tf.split<tf.Tensor2D>(weights.recurrentKernel, 4, 1);
  const biases = weights.bias === null ? null : tf.split<tf.Tensor1D>(weights.bias, 4);
  const gateSteps = kernels.map((kernel, k) =>
    timeSteps(projectSteps(x, kernel, biases?.[k] ?? null, options.inputMasks?.[k])),
  );
  return runSteps(
    gateSteps,
    initial,
    (t, [h, c]) => {
      const [zi, zf, zg, zo] = gateSteps.map((gate, k) => {
        const mask = options.recurrentMasks?.[k];
        const previous = mask === undefined ? h : tf.mul<tf.Tensor2D>(h, mask);
        return tf.add<tf.Tensor2D>(gate[t], denseProduct(previous, recurrent[k], null));
      });
      return carry(zi, zf, zg, zo, c);
    },
    options,
  );
}
