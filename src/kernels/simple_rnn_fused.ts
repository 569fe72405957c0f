/**
 * The SimpleRNN recurrence with back-propagation through time written by hand
 * (`tf.customGrad`), for activations whose derivative is a function of their output.
 *
 * Forward, per step: one matMul, one add, the activation. Backward, per step: one add (when
 * every step's output is used), one multiply by the activation's derivative (computed for all
 * steps in one op before the loop) and one matMul; the recurrent kernel's gradient is one large
 * matMul after the loop. Works on time-major tensors `[timesteps, samples, units]`.
 *
 * With Keras's step mask m (cut once into per-step conditions, see fused_steps.ts), forward
 * h_t = where(m_t, act(...), h_{t-1}); backward the candidate's gradient is where(m_t, g_t, 0)
 * and the gradient of h_{t-1} is where(m_t, its usual term, g_t). Without one, not an op more.
 */
import * as tf from '@tensorflow/tfjs';
import {
  type FusedActivation,
  activateFused as activate,
  derivativeFromOutput,
  maskedStep,
  savedStepRuns,
  stepMaskRuns,
  timeMajorSteps as steps,
  withStepRuns,
} from './fused_steps';

export interface FusedRecurrenceOptions {
  activation: FusedActivation;
  /** Process the steps from last to first; outputs come in processing order. */
  goBackwards: boolean;
  /** Return every state `[timesteps, samples, units]` (processing order) or the last `[samples, units]`. */
  returnSequences: boolean;
  /** Multiplies h_{t-1} at every step: [samples, units]. Treated as a constant. */
  recurrentMask?: tf.Tensor2D;
  /**
   * Keras's step mask [samples, timesteps] in input order (see StepRunOptions in
   * cells/sequence.ts). Treated as a constant. Default: every step runs.
   */
  stepMask?: tf.Tensor2D;
}

/**
 * h_t = act(p_t + (h_{t-1} ⊙ mask) · U) over every step of `projected` [timesteps, samples,
 * units] (the input projection x·W + b, time-major), from `initialState` [samples, units].
 * Differentiable with respect to `projected`, `recurrentKernel` and `initialState`.
 */
export function fusedSimpleRnnRecurrence(
  projected: tf.Tensor3D,
  recurrentKernel: tf.Tensor2D,
  initialState: tf.Tensor2D,
  options: FusedRecurrenceOptions,
): tf.Tensor {
  const { activation, goBackwards, returnSequences, recurrentMask, stepMask } = options;
  const masked = (h: tf.Tensor2D): tf.Tensor2D =>
    recurrentMask === undefined ? h : tf.mul(h, recurrentMask);

  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [p, u, h0] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
    const save = args[3] as tf.GradSaveFunc;
    // A reversed copy, never the op's own output list (see simple_rnn_reference.ts).
    const inputs = goBackwards ? [...steps(p)].reverse() : steps(p);
    // Processing order, as `inputs`.
    const runs = stepMask === undefined ? null : stepMaskRuns(stepMask, h0.shape[1], goBackwards);
    const states: tf.Tensor2D[] = [];
    let h = h0;
    inputs.forEach((pt, t) => {
      h = maskedStep(runs?.[t], activate(activation, tf.add(pt, tf.matMul(masked(h), u))), h);
      states.push(h);
    });
    // Every state, in processing order: the backward pass needs them all. A masked step's
    // derivative below is then that of the carried state, but its gradient is zero anyway.
    const all = states.length === 1 ? tf.expandDims(h, 0) : tf.stack(states, 0);
    // The dropout mask too: it lives in the caller's tidy, which may end before the backward
    // pass runs.
    save(withStepRuns([all, u, h0, ...(recurrentMask === undefined ? [] : [recurrentMask])], runs));
    const value = returnSequences ? all : tf.clone(h);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [hAll, uSaved, h0Saved] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
        const maskSaved = recurrentMask === undefined ? undefined : (saved[3] as tf.Tensor2D);
        const maskedSaved = (h: tf.Tensor2D): tf.Tensor2D =>
          maskSaved === undefined ? h : tf.mul(h, maskSaved);
        const runs = savedStepRuns(saved, maskSaved === undefined ? 3 : 4);
        // The gradient a masked step's candidate gets; without a mask `maskedStep` never reads
        // it, so no tensor is made.
        const zeros = runs === null ? h0Saved : tf.zerosLike(h0Saved);
        const count = hAll.shape[0];
        const uT = tf.transpose(uSaved);
        const derivative = derivativeFromOutput(activation, hAll);
        const derivativeSteps = derivative === null ? null : steps(derivative);
        const outputGrads = returnSequences ? steps(dy) : null;
        const dA: tf.Tensor2D[] = new Array<tf.Tensor2D>(count);
        let carry: tf.Tensor2D | null = returnSequences ? null : (dy as tf.Tensor2D);
        for (let t = count - 1; t >= 0; t--) {
          const fromOutput = outputGrads?.[t];
          let g: tf.Tensor2D;
          if (carry === null) g = fromOutput as tf.Tensor2D;
          else g = fromOutput === undefined ? carry : tf.add(fromOutput, carry);
          const run = runs?.[t];
          const gRan = maskedStep(run, g, zeros);
          const d = derivativeSteps?.[t];
          const da: tf.Tensor2D = d === undefined ? gRan : tf.mul(gRan, d);
          dA[t] = da;
          carry = maskedStep(run, maskedSaved(tf.matMul(da, uT)), g);
        }
        const dProcessing = count === 1 ? tf.expandDims(dA[0], 0) : tf.stack(dA, 0);
        // h_{t-1} for every step: h0, then every state but the last.
        const previous =
          count === 1
            ? tf.expandDims(h0Saved, 0)
            : tf.concat(
                [tf.expandDims(h0Saved, 0), tf.slice(hAll, [0, 0, 0], [count - 1, -1, -1])],
                0,
              );
        const [, batch, units] = hAll.shape;
        const previousFlat = tf.reshape(previous, [count * batch, units]);
        const prevMasked =
          maskSaved === undefined
            ? previousFlat
            : tf.reshape(tf.mul(previous, maskSaved), [count * batch, units]);
        const dU = tf.matMul(
          tf.transpose(prevMasked),
          tf.reshape(dProcessing, [count * batch, units]),
        );
        const dP = goBackwards ? tf.reverse(dProcessing, 0) : dProcessing;
        return [dP, dU, carry ?? tf.zerosLike(h0Saved)];
      },
    };
  });
  return run(projected, recurrentKernel, initialState);
}
