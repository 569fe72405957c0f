/**
 * Adam: Keras 3's update rule, which differs from tfjs's `tf.train.adam` in where epsilon goes.
 *
 * m += (g - m) * (1 - beta1);  v += (g² - v) * (1 - beta2)
 * alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 * w -= alpha * m / (sqrt(v) + epsilon)      (amsgrad: v replaced by max over steps of v)
 *
 * For an embedding table, g² is the sum of the squared per-lookup rows (Keras's IndexedSlices).
 */
import * as tf from '@tensorflow/tfjs';
import { overwriteInWasmBackend, tensorFrom, valuesOf } from '../kernels/wasm/tensors';
import {
  ADAM_OUTSIDE_TFJS_MAX_SIZE,
  type AdamStepConstants,
  adamStepValues,
} from './adam_step_values';
import type { Gradient } from './gradient';
import { KERAS_OPTIMIZER_OPTIONS, type KerasOptimizerArgs, KerasOptimizer, f32 } from './optimizer';
import { type OptionBag, booleanOption, numberOption } from './options';

/** Options of Adam. */
export interface AdamArgs extends KerasOptimizerArgs {
  /** Decay of the first moment, in [0, 1). Default: 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default: 0.999. */
  beta2?: number;
  /** Added to sqrt(v), not to the bias-corrected one as in tfjs. Default: 1e-7. */
  epsilon?: number;
  /** AMSGrad: divide by the running maximum of v. Default: false. */
  amsgrad?: boolean;
}

const unit = (v: number): boolean => v >= 0 && v < 1;

/** The keys of AdamArgs. */
export const ADAM_OPTIONS = KERAS_OPTIMIZER_OPTIONS.extend<AdamArgs>({
  beta1: true,
  beta2: true,
  epsilon: true,
  amsgrad: true,
});

/** Keras's `Adam`. Default learning rate 0.001. */
export class Adam extends KerasOptimizer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'Adam';
  /** Decay rate of the first-moment estimates, Keras's `beta_1`. */
  readonly beta1: number;
  /** Decay rate of the second-moment estimates, Keras's `beta_2`. */
  readonly beta2: number;
  /** Small constant for numerical stability, Keras's `epsilon`. */
  readonly epsilon: number;
  /** Whether to use AMSGrad (the maximum of past second moments), Keras's `amsgrad`. */
  readonly amsgrad: boolean;

  constructor(args: AdamArgs = {}) {
    super(args as OptionBag, ADAM_OPTIONS, {
      name: 'adam',
      learningRate: 0.001,
    });
    const bag = args as OptionBag;
    this.beta1 = numberOption('Adam', bag, 'beta1', 0.9, 'a number in [0, 1)', unit);
    this.beta2 = numberOption('Adam', bag, 'beta2', 0.999, 'a number in [0, 1)', unit);
    this.epsilon = numberOption('Adam', bag, 'epsilon', 1e-7, 'a number >= 0', (v) => v >= 0);
    this.amsgrad = booleanOption('Adam', bag, 'amsgrad', false);
  }

  override slotNames(): readonly string[] {
    return this.amsgrad ? ['momentum', 'velocity', 'velocity_hat'] : ['momentum', 'velocity'];
  }

  protected override updateStep(
    variable: tf.Variable,
    gradient: Gradient,
    lr: number,
    step: number,
  ): void {
    const factors = this.stepFactors(lr, step);
    const m = this.slot(variable, 'momentum');
    const v = this.slot(variable, 'velocity');
    // The same float32 operations outside tfjs, for small variables (far fewer tfjs calls) and
    // for embedding tables (their per-id sums of rows and of squares taken there, not by two
    // scatters, and a dozen ops over the whole table avoided). The inputs are read in place where the backend allows (no tfjs
    // call runs meanwhile).
    const rows = this.amsgrad ? undefined : gradient.lookupRows();
    const small = gradient.slices === null && variable.size <= ADAM_OUTSIDE_TFJS_MAX_SIZE;
    if (!this.amsgrad && (small || rows !== undefined)) {
      adamStepValues(
        {
          variable: valuesOf(variable),
          gradient: rows ?? valuesOf(gradient.value),
          momentum: valuesOf(m),
          velocity: valuesOf(v),
        },
        factors,
        (next) => {
          // The slots in place where the backend allows (only this optimizer reads them); the
          // variable by a new tensor (see overwriteInWasmBackend).
          if (!overwriteInWasmBackend(m, next.momentum)) {
            m.assign(tensorFrom(next.momentum, m.shape));
          }
          if (!overwriteInWasmBackend(v, next.velocity)) {
            v.assign(tensorFrom(next.velocity, v.shape));
          }
          variable.assign(tensorFrom(next.variable, variable.shape));
        },
      );
      return;
    }
    m.assign(tf.add(m, tf.mul(tf.sub(gradient.value, m), 1 - this.beta1)));
    v.assign(tf.add(v, tf.mul(tf.sub(gradient.square(), v), 1 - this.beta2)));
    let denominatorV: tf.Tensor = v;
    if (this.amsgrad) {
      const vHat = this.slot(variable, 'velocity_hat');
      vHat.assign(tf.maximum(vHat, v));
      denominatorV = vHat;
    }
    variable.assign(
      tf.sub(
        variable,
        tf.div(tf.mul(m, factors.alpha), tf.add(tf.sqrt(denominatorV), this.epsilon)),
      ),
    );
  }

  /**
   * The float32 factors of update number `step` (1-based) at learning rate `lr`: 1 - beta1,
   * 1 - beta2, the bias-corrected step size alpha, and epsilon, as Keras computes them.
   * @internal
   */
  stepFactors(lr: number, step: number): AdamStepConstants {
    const beta1Power = f32(f32(this.beta1) ** step);
    const beta2Power = f32(f32(this.beta2) ** step);
    return {
      oneMinusBeta1: f32(1 - this.beta1),
      oneMinusBeta2: f32(1 - this.beta2),
      alpha: f32(f32(lr * f32(Math.sqrt(f32(1 - beta2Power)))) / f32(1 - beta1Power)),
      epsilon: f32(this.epsilon),
    };
  }

  protected override specificConfig(): tf.serialization.ConfigDict {
    return {
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      amsgrad: this.amsgrad,
    };
  }
}

tf.serialization.registerClass(Adam);
