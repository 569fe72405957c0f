/**
 * The LSTM over a whole sequence as one op with back-propagation through time written by hand
 * (`tf.customGrad`), for implementation 2 (no recurrent dropout) and activations whose
 * derivative is a function of their output. The same values as `lstmSequence`, without a step
 * on tfjs's tape (on the stock shape, 1.6x the step-by-step kernel's speed on the tensorflow
 * backend).
 *
 * Forward, per step (processing order): z = x_t · W + h · U (+ b); i, f, o = σ(z_i, z_f, z_o),
 * g = act(z_g); c = f ⊙ c + i ⊙ g; h = o ⊙ act(c). The input products of every step are one
 * product before the loop (the same values as step by step).
 * Backward, per step from the last: dh = dy_t + dh_next; dc = dc_next + dh ⊙ o ⊙ act'(c);
 * dz = [dc ⊙ g, dc ⊙ c_prev, dc ⊙ i, dh ⊙ act(c)] ⊙ [σ'(i), σ'(f), act'(g), σ'(o)];
 * dh_next = dz · Uᵀ, dc_next = dc ⊙ f. Then dU = Σ h_prevᵀ · dz, dW = Σ x_tᵀ · dz,
 * db = Σ dz, dx_t = dz · Wᵀ, each one product over every step.
 */
import * as tf from '@tensorflow/tfjs';
import { denseProduct } from '../dense';
import {
  type FusedActivation,
  activateFused,
  derivativeOrOne,
  flatSteps,
  previousStates,
  projectionGradients,
  stackSteps,
  swapLeadingAxes,
  timeMajorSteps,
} from '../fused_steps';
import type { LstmWeights } from './lstm';

/** How the fused LSTM runs. */
export interface FusedLstmOptions {
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
  /** Process the steps from last to first; outputs come in processing order. */
  goBackwards: boolean;
  /** Every h [batch, timesteps, units] (processing order), or the last [batch, units]. */
  returnSequences: boolean;
}

/** The output (h of every step or of the last) of an LSTM over x [batch, timesteps, features]. */
export function fusedLstmSequence(
  x: tf.Tensor3D,
  weights: LstmWeights,
  options: FusedLstmOptions,
): tf.Tensor {
  const { activation, recurrentActivation, goBackwards, returnSequences } = options;
  const sigma = (z: tf.Tensor2D): tf.Tensor2D => activateFused(recurrentActivation, z);
  const act = (z: tf.Tensor2D): tf.Tensor2D => activateFused(activation, z);
  const withBias = weights.bias !== null;

  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xs, w, u] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
    const b = withBias ? (args[3] as tf.Tensor1D) : null;
    const [batch, count] = xs.shape;
    const units = u.shape[0];
    // Time-major, in processing order: every saved tensor below is in that order.
    const xTime = goBackwards ? tf.reverse(swapLeadingAxes(xs), 0) : swapLeadingAxes(xs);
    const projected = denseProduct(flatSteps(xTime), w, null);
    const inputs = timeMajorSteps(tf.reshape(projected, [count, batch, 4 * units]));
    let h: tf.Tensor2D = tf.zeros([batch, units]);
    let c: tf.Tensor2D = tf.zeros([batch, units]);
    const gates: tf.Tensor2D[] = [];
    const cells: tf.Tensor2D[] = [];
    const cellActs: tf.Tensor2D[] = [];
    const states: tf.Tensor2D[] = [];
    for (const p of inputs) {
      let z: tf.Tensor2D = tf.add(p, denseProduct(h, u, null));
      if (b !== null) z = tf.add(z, b);
      const [zi, zf, zg, zo] = tf.split<tf.Tensor2D>(z, 4, 1);
      const i = sigma(zi);
      const f = sigma(zf);
      const g = act(zg);
      const o = sigma(zo);
      c = tf.add(tf.mul(f, c), tf.mul(i, g));
      const tc = act(c);
      h = tf.mul(o, tc);
      gates.push(tf.concat([i, f, g, o], 1));
      cells.push(c);
      cellActs.push(tc);
      states.push(h);
    }
    const hAll = stackSteps(states);
    save([xTime, w, u, stackSteps(gates), stackSteps(cells), stackSteps(cellActs), hAll]);
    const value = returnSequences ? swapLeadingAxes(hAll) : tf.clone(h);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xt, ws, us, gAll, cAll, tcAll, hs] = saved as [
          tf.Tensor3D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor3D,
        ];
        // Every gate's derivative and act'(c), for every step at once.
        const [gi, gf, gg, go] = tf.split(gAll, 4, 2);
        const gateDerivatives = timeMajorSteps(
          tf.concat(
            [
              derivativeOrOne(recurrentActivation, gi),
              derivativeOrOne(recurrentActivation, gf),
              derivativeOrOne(activation, gg),
              derivativeOrOne(recurrentActivation, go),
            ],
            2,
          ),
        );
        const cellDerivatives = timeMajorSteps(derivativeOrOne(activation, tcAll));
        const gateSteps = timeMajorSteps(gAll);
        const cellSteps = timeMajorSteps(cAll);
        const cellActSteps = timeMajorSteps(tcAll);
        const outputGrads = returnSequences
          ? timeMajorSteps(swapLeadingAxes(dy as tf.Tensor3D))
          : null;
        const uT = tf.transpose(us);
        const zeros = tf.zeros<tf.Rank.R2>([batch, units]);
        const dz: tf.Tensor2D[] = new Array<tf.Tensor2D>(count);
        let dhNext: tf.Tensor2D = returnSequences ? zeros : (dy as tf.Tensor2D);
        let dcNext: tf.Tensor2D = zeros;
        for (let t = count - 1; t >= 0; t--) {
          const fromOutput = outputGrads?.[t];
          const dh = fromOutput === undefined ? dhNext : tf.add(fromOutput, dhNext);
          const [i, f, g, o] = tf.split<tf.Tensor2D>(gateSteps[t], 4, 1);
          const dc = tf.add(dcNext, tf.mul(tf.mul(dh, o), cellDerivatives[t]));
          const cPrev = t === 0 ? zeros : cellSteps[t - 1];
          const dGates = tf.concat(
            [tf.mul(dc, g), tf.mul(dc, cPrev), tf.mul(dc, i), tf.mul(dh, cellActSteps[t])],
            1,
          );
          dz[t] = tf.mul(dGates, gateDerivatives[t]);
          dhNext = denseProduct(dz[t], uT, null);
          dcNext = tf.mul(dc, f);
        }
        const dzFlat = flatSteps(stackSteps(dz));
        const dU = denseProduct(tf.transpose(flatSteps(previousStates(hs))), dzFlat, null);
        const [dx, dW] = projectionGradients(dzFlat, xt, ws, goBackwards);
        const grads: tf.Tensor[] = [dx, dW, dU];
        if (withBias) grads.push(tf.sum(dzFlat, 0));
        return grads;
      },
    };
  });
  return weights.bias === null
    ? run(x, weights.kernel, weights.recurrentKernel)
    : run(x, weights.kernel, weights.recurrentKernel, weights.bias);
}
