/**
 * The GRU over a whole sequence as one op with back-propagation through time written by hand
 * (`tf.customGrad`), for implementation 2 (no recurrent dropout) and activations whose
 * derivative is a function of their output, in both of Keras's reset modes. The same values as
 * `gruSequence`, without a step on tfjs's tape.
 *
 * Forward, per step (processing order), with x = x_t · W + b_in (every step's at once):
 *   resetAfter:  m = h · U + b_rec;  z = σ(x_z + m_z), r = σ(x_r + m_r), hh = act(x_h + r ⊙ m_h)
 *   else:        m = h · U_zr;       z = σ(x_z + m_z), r = σ(x_r + m_r), hh = act(x_h + (r ⊙ h) · U_h)
 *   h = z ⊙ h + (1 - z) ⊙ hh
 * Backward, per step from the last: dh = dy_t + dh_next; da = dh ⊙ (1 - z) ⊙ act'(hh);
 * dz = dh ⊙ (h_prev - hh) ⊙ σ'(z); resetAfter: dr = da ⊙ m_h ⊙ σ'(r), dm = [dz, dr, da ⊙ r];
 * else: dq = da · U_hᵀ, dr = dq ⊙ h_prev ⊙ σ'(r), dm = [dz, dr];
 * dh_next = dh ⊙ z + dm · U_mᵀ (+ dq ⊙ r). The weights' gradients and dx are one product each
 * over every step.
 * With Keras's step mask m (cut once into per-step conditions, see fused_steps.ts): forward
 * h = where(m_t, h', h) for the step's candidate h'; backward the candidate's gradient is
 * where(m_t, dh, 0) and dh_next is where(m_t, its usual term, dh). Without a mask, not an op
 * more.
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
import type { GruWeights } from './gru';

/** How the fused GRU runs. */
export interface FusedGruOptions {
  activation: FusedActivation;
  recurrentActivation: FusedActivation;
  resetAfter: boolean;
  /** Process the steps from last to first; outputs come in processing order. */
  goBackwards: boolean;
  /** Every h [batch, timesteps, units] (processing order), or the last [batch, units]. */
  returnSequences: boolean;
  /**
   * Keras's step mask [batch, timesteps] in input order (see StepRunOptions in
   * cells/sequence.ts): a masked sample keeps h. Treated as a constant. Default: every step
   * runs.
   */
  stepMask?: tf.Tensor2D;
}

/** The output (h of every step or of the last) of a GRU over x [batch, timesteps, features]. */
export function fusedGruSequence(
  x: tf.Tensor3D,
  weights: GruWeights,
  options: FusedGruOptions,
): tf.Tensor {
  const { activation, recurrentActivation, resetAfter, goBackwards, returnSequences, stepMask } =
    options;
  const sigma = (z: tf.Tensor): tf.Tensor2D => activateFused(recurrentActivation, z as tf.Tensor2D);
  const act = (z: tf.Tensor): tf.Tensor2D => activateFused(activation, z as tf.Tensor2D);
  const withBias = weights.bias !== null;

  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xs, w, u] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
    const bias = withBias ? (args[3] as tf.Tensor) : null;
    const [batch, count] = xs.shape;
    const units = u.shape[0];
    const [biasIn, biasRec] =
      bias === null
        ? [null, null]
        : resetAfter
          ? (tf.unstack(bias) as [tf.Tensor1D, tf.Tensor1D])
          : [bias as tf.Tensor1D, null];
    const [uz, ur, uh] = tf.split<tf.Tensor2D>(u, 3, 1);
    const uzr = resetAfter ? u : tf.concat([uz, ur], 1);
    // Time-major, in processing order: every saved tensor below is in that order.
    const xTime = goBackwards ? tf.reverse(swapLeadingAxes(xs), 0) : swapLeadingAxes(xs);
    const projected = denseProduct(flatSteps(xTime), w, biasIn);
    const inputs = timeMajorSteps(tf.reshape(projected, [count, batch, 3 * units]));
    const runs = stepMask === undefined ? null : stepMaskRuns(stepMask, units, goBackwards);
    let h: tf.Tensor2D = tf.zeros([batch, units]);
    const zs: tf.Tensor2D[] = [];
    const rs: tf.Tensor2D[] = [];
    const hhs: tf.Tensor2D[] = [];
    const mhs: tf.Tensor2D[] = [];
    const states: tf.Tensor2D[] = [];
    inputs.forEach((p, t) => {
      const [xz, xr, xh] = tf.split<tf.Tensor2D>(p, 3, 1);
      let m: tf.Tensor2D = denseProduct(h, uzr, null);
      if (biasRec !== null) m = tf.add(m, biasRec);
      const parts = tf.split<tf.Tensor2D>(m, resetAfter ? 3 : 2, 1);
      const z = sigma(tf.add(xz, parts[0]));
      const r = sigma(tf.add(xr, parts[1]));
      const recurrentH = resetAfter ? tf.mul(r, parts[2]) : denseProduct(tf.mul(r, h), uh, null);
      const hh = act(tf.add(xh, recurrentH));
      h = maskedStep(runs?.[t], tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)), h);
      zs.push(z);
      rs.push(r);
      hhs.push(hh);
      if (resetAfter) mhs.push(parts[2]);
      states.push(h);
    });
    // The states as carried (the previous states of the next step); the gates and candidates
    // of every step, which only a step that ran reads.
    const hAll = stackSteps(states);
    const saved = [xTime, w, u, stackSteps(zs), stackSteps(rs), stackSteps(hhs), hAll];
    if (resetAfter) saved.push(stackSteps(mhs));
    save(withStepRuns(saved, runs));
    const value = returnSequences ? swapLeadingAxes(hAll) : tf.clone(h);
    return {
      value,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [xt, ws, us, zAll, rAll, hhAll, hs] = kept as [
          tf.Tensor3D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor3D,
          tf.Tensor3D,
        ];
        const mhAll = resetAfter ? kept[7] : undefined;
        const runs = savedStepRuns(kept, resetAfter ? 8 : 7);
        const zSteps = timeMajorSteps(zAll);
        const rSteps = timeMajorSteps(rAll);
        const hhSteps = timeMajorSteps(hhAll);
        const hSteps = timeMajorSteps(hs);
        const mhSteps = mhAll === undefined ? null : timeMajorSteps(mhAll);
        const zDerivatives = timeMajorSteps(derivativeOrOne(recurrentActivation, zAll));
        const rDerivatives = timeMajorSteps(derivativeOrOne(recurrentActivation, rAll));
        const hhDerivatives = timeMajorSteps(derivativeOrOne(activation, hhAll));
        const outputGrads = returnSequences
          ? timeMajorSteps(swapLeadingAxes(dy as tf.Tensor3D))
          : null;
        const [uzs, urs, uhs] = tf.split<tf.Tensor2D>(us, 3, 1);
        const uzrT = tf.transpose(resetAfter ? us : tf.concat([uzs, urs], 1));
        const uhT = tf.transpose(uhs);
        const zeros = tf.zeros<tf.Rank.R2>([batch, units]);
        const dInput: tf.Tensor2D[] = new Array<tf.Tensor2D>(count);
        const dInner: tf.Tensor2D[] = new Array<tf.Tensor2D>(count);
        const dCandidate: tf.Tensor2D[] = new Array<tf.Tensor2D>(count);
        const resetPrevious: tf.Tensor2D[] = new Array<tf.Tensor2D>(count);
        let dhNext: tf.Tensor2D = returnSequences ? zeros : (dy as tf.Tensor2D);
        for (let t = count - 1; t >= 0; t--) {
          const fromOutput = outputGrads?.[t];
          const dhState =
            fromOutput === undefined ? dhNext : tf.add<tf.Tensor2D>(fromOutput, dhNext);
          const run = runs?.[t];
          // The gradient of the step's candidate: zero where the step is masked.
          const dh = maskedStep(run, dhState, zeros);
          const hPrev = t === 0 ? zeros : hSteps[t - 1];
          const z = zSteps[t];
          const r = rSteps[t];
          const da = tf.mul<tf.Tensor2D>(tf.mul(dh, tf.sub(1, z)), hhDerivatives[t]);
          const dz = tf.mul<tf.Tensor2D>(tf.mul(dh, tf.sub(hPrev, hhSteps[t])), zDerivatives[t]);
          let dPrev: tf.Tensor2D = tf.mul(dh, z);
          let dr: tf.Tensor2D;
          if (mhSteps !== null) {
            dr = tf.mul(tf.mul(da, mhSteps[t]), rDerivatives[t]);
            dInner[t] = tf.concat([dz, dr, tf.mul(da, r)], 1);
          } else {
            const dq = denseProduct(da, uhT, null);
            dr = tf.mul(tf.mul(dq, hPrev), rDerivatives[t]);
            dInner[t] = tf.concat([dz, dr], 1);
            dPrev = tf.add(dPrev, tf.mul(dq, r));
            dCandidate[t] = da;
            resetPrevious[t] = tf.mul(r, hPrev);
          }
          dInput[t] = tf.concat([dz, dr, da], 1);
          dhNext = maskedStep(
            run,
            tf.add<tf.Tensor2D>(dPrev, denseProduct(dInner[t], uzrT, null)),
            dhState,
          );
        }
        const previousT = tf.transpose(flatSteps(previousStates(hs)));
        const dInnerFlat = flatSteps(stackSteps(dInner));
        const dInputFlat = flatSteps(stackSteps(dInput));
        const dUzr = denseProduct(previousT, dInnerFlat, null);
        const dU = resetAfter
          ? dUzr
          : tf.concat(
              [
                dUzr,
                denseProduct(
                  tf.transpose(flatSteps(stackSteps(resetPrevious))),
                  flatSteps(stackSteps(dCandidate)),
                  null,
                ),
              ],
              1,
            );
        const [dx, dW] = projectionGradients(dInputFlat, xt, ws, goBackwards);
        const grads: tf.Tensor[] = [dx, dW, dU];
        if (withBias) {
          const dIn = tf.sum(dInputFlat, 0);
          grads.push(resetAfter ? tf.stack([dIn, tf.sum(dInnerFlat, 0)]) : dIn);
        }
        return grads;
      },
    };
  });
  return weights.bias === null
    ? run(x, weights.kernel, weights.recurrentKernel)
    : run(x, weights.kernel, weights.recurrentKernel, weights.bias);
}
