/**
 * Adamax: Keras 3's Adam variant on the infinity norm.
 *
 * m += (g - m) * (1 - beta1);  u = max(beta2 * u, |g|)
 * w -= lr * m / ((1 - beta1^t) * (u + epsilon))
 *
 * For an embedding table, |g| is the sum of the per-lookup rows' absolute values (Keras's
 * IndexedSlices are summed when they meet the dense `u`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Gradient } from './gradient';
import { KERAS_OPTIMIZER_OPTIONS, type KerasOptimizerArgs, KerasOptimizer, f32 } from './optimizer';
import { type OptionBag, numberOption } from './options';

/** Options of Adamax. */
export interface AdamaxArgs extends KerasOptimizerArgs {
  /** Decay of the first moment, in [0, 1). Default: 0.9. */
  beta1?: number;
  /** Decay of the infinity norm, in [0, 1). Default: 0.999. */
  beta2?: number;
  /** Added to u. Default: 1e-7. */
  epsilon?: number;
}

const unit = (v: number): boolean => v >= 0 && v < 1;

/** The keys of AdamaxArgs. */
export const ADAMAX_OPTIONS = KERAS_OPTIMIZER_OPTIONS.extend<AdamaxArgs>({
  beta1: true,
  beta2: true,
  epsilon: true,
});

/** Keras's `Adamax`. Default learning rate 0.001 (tfjs: 0.002). */
export class Adamax extends KerasOptimizer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'Adamax';
  /** Decay rate of the first-moment estimates, Keras's `beta_1`. */
  readonly beta1: number;
  /** Decay rate of the second-moment estimates, Keras's `beta_2`. */
  readonly beta2: number;
  /** Small constant for numerical stability, Keras's `epsilon`. */
  readonly epsilon: number;

  constructor(args: AdamaxArgs = {}) {
    super(args as OptionBag, ADAMAX_OPTIONS, {
      name: 'adamax',
      learningRate: 0.001,
    });
    const bag = args as OptionBag;
    this.beta1 = numberOption('Adamax', bag, 'beta1', 0.9, 'a number in [0, 1)', unit);
    this.beta2 = numberOption('Adamax', bag, 'beta2', 0.999, 'a number in [0, 1)', unit);
    this.epsilon = numberOption('Adamax', bag, 'epsilon', 1e-7, 'a number >= 0', (v) => v >= 0);
  }

  override slotNames(): readonly string[] {
    return ['momentum', 'norm'];
  }

  protected override updateStep(
    variable: tf.Variable,
    gradient: Gradient,
    lr: number,
    step: number,
  ): void {
    const beta1Power = f32(f32(this.beta1) ** step);
    const m = this.slot(variable, 'momentum');
    const u = this.slot(variable, 'norm');
    m.assign(tf.add(m, tf.mul(tf.sub(gradient.value, m), 1 - this.beta1)));
    u.assign(tf.maximum(tf.mul(this.beta2, u), gradient.abs()));
    variable.assign(
      tf.sub(variable, tf.div(tf.mul(lr, m), tf.mul(f32(1 - beta1Power), tf.add(u, this.epsilon)))),
    );
  }

  protected override specificConfig(): tf.serialization.ConfigDict {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(Adamax);
