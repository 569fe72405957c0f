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
 * With Keras's step mask m (cut once into per-step conditions, see fused_steps.ts): forward
 * c = where(m_t, c', c), h = where(m_t, h', h) for the step's candidates c', h'; backward the
 * candidates' gradients are where(m_t, dh, 0) and where(m_t, dc_next, 0), and dh_next, dc_next
 * are where(m_t, their usual terms, dh and dc_next). Without a mask, not an op more.
 */
import * as tf from '@tensorflow/tfjs';
import { denseProduct } from '../dense';
import {
  type FusedActivation,
  activateFused,
  derivativeOrOne,
  flatSteps,
  maskedStep,
  previousStates,
  projectionGradients,
  savedStepRuns,
  stackSteps,
  stepMaskRuns,
  swapLeadingAxes,
  timeMajorSteps,
  withStepRuns,
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
  /**
   * Keras's step mask [batch, timesteps] in input order (see StepRunOptions in
   * cells/sequence.ts): a masked sample keeps h and c. Treated as a constant. Default: every
   * step runs.
   */
  stepMask?: tf.Tensor2D;
}

/** The output (h of every step or of the last) of an LSTM over x [batch, timesteps, features]. */
export function fusedLstmSequence(
  x: tf.Tensor3D,
  weights: LstmWeights,
  options: FusedLstmOptions,
): tf.Tensor {
  const { activation, recurrentActivation, goBackwards, returnSequences, stepMask } = options;
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
    const runs = stepMask === undefined ? null : stepMaskRuns(stepMask, units, goBackwards);
    let h: tf.Tensor2D = tf.zeros([batch, units]);
    let c: tf.Tensor2D = tf.zeros([batch, units]);
    const gates: tf.Tensor2D[] = [];
    const cells: tf.Tensor2D[] = [];
    const cellActs: tf.Tensor2D[] = [];
    const states: tf.Tensor2D[] = [];
    inputs.forEach((p, t) => {
      let z: tf.Tensor2D = tf.add(p, denseProduct(h, u, null));
      if (b !== null) z = tf.add(z, b);
      const [zi, zf, zg, zo] = tf.split<tf.Tensor2D>(z, 4, 1);
      const i = sigma(zi);
      const f = sigma(zf);
      const g = act(zg);
      const o = sigma(zo);
      const run = runs?.[t];
      const cRan = tf.add<tf.Tensor2D>(tf.mul(f, c), tf.mul(i, g));
      const tc = act(cRan);
      h = maskedStep(run, tf.mul<tf.Tensor2D>(o, tc), h);
      c = maskedStep(run, cRan, c);
      gates.push(tf.concat([i, f, g, o], 1));
      // The states as carried (the previous states of the next step); act(c) of the candidate,
      // which only a step that ran reads.
      cells.push(c);
      cellActs.push(tc);
      states.push(h);
    });
    const hAll = stackSteps(states);
    const kept = [xTime, w, u, stackSteps(gates), stackSteps(cells), stackSteps(cellActs), hAll];
    save(withStepRuns(kept, runs));
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
        const runs = savedStepRuns(saved, 7);
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
          const dhState =
            fromOutput === undefined ? dhNext : tf.add<tf.Tensor2D>(fromOutput, dhNext);
          const run = runs?.[t];
          // The gradients of the step's candidates: zero where the step is masked.
          const dh = maskedStep(run, dhState, zeros);
          const [i, f, g, o] = tf.split<tf.Tensor2D>(gateSteps[t], 4, 1);
          const dc = tf.add(
            maskedStep(run, dcNext, zeros),
            tf.mul(tf.mul(dh, o), cellDerivatives[t]),
          );
          const cPrev = t === 0 ? zeros : cellSteps[t - 1];
          const dGates = tf.concat(
            [tf.mul(dc, g), tf.mul(dc, cPrev), tf.mul(dc, i), tf.mul(dh, cellActSteps[t])],
            1,
          );
          dz[t] = tf.mul(dGates, gateDerivatives[t]);
          dhNext = maskedStep(run, denseProduct(dz[t], uT, null), dhState);
          dcNext = maskedStep(run, tf.mul<tf.Tensor2D>(dc, f), dcNext);
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
