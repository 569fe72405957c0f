/**
 * RMSprop: Keras 3's update rule, plain, with momentum, or centered.
 *
 * v = rho * v + (1 - rho) * g²
 * centered: a = rho * a + (1 - rho) * g;  d = v - a² + epsilon;  otherwise d = v + epsilon
 * inc = lr * g / sqrt(d);  momentum: mom = momentum * mom + inc;  w -= mom (or inc)
 *
 * For an embedding table, g² is the sum of the squared per-lookup rows (Keras's IndexedSlices).
 */
import * as tf from '@tensorflow/tfjs';
import type { Gradient } from './gradient';
import { KERAS_OPTIMIZER_OPTIONS, type KerasOptimizerArgs, KerasOptimizer } from './optimizer';
import { type OptionBag, booleanOption, numberOption } from './options';

/** Options of RMSprop. */
export interface RMSpropArgs extends KerasOptimizerArgs {
  /** Decay of the moving averages, in [0, 1]. Default: 0.9. */
  rho?: number;
  /** Momentum, in [0, 1]; 0 is none. Default: 0. */
  momentum?: number;
  /** Added to the mean square under the square root. Default: 1e-7. */
  epsilon?: number;
  /** Divide by the estimated variance (mean square minus squared mean) instead. Default: false. */
  centered?: boolean;
}

const unitClosed = (v: number): boolean => v >= 0 && v <= 1;

/** The keys of RMSpropArgs. */
export const RMSPROP_OPTIONS = KERAS_OPTIMIZER_OPTIONS.extend<RMSpropArgs>({
  rho: true,
  momentum: true,
  epsilon: true,
  centered: true,
});

/** Keras's `RMSprop`. Default learning rate 0.001. */
export class RMSprop extends KerasOptimizer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'RMSprop';
  /** Decay rate of the running averages, Keras's `rho`. */
  readonly rho: number;
  /** Momentum factor, Keras's `momentum` (0: none). */
  readonly momentum: number;
  /** Small constant for numerical stability, Keras's `epsilon`. */
  readonly epsilon: number;
  /** Whether to normalize by the estimated variance of the gradient, Keras's `centered`. */
  readonly centered: boolean;

  constructor(args: RMSpropArgs = {}) {
    super(args as OptionBag, RMSPROP_OPTIONS, {
      name: 'rm_sprop',
      learningRate: 0.001,
    });
    const bag = args as OptionBag;
    this.rho = numberOption('RMSprop', bag, 'rho', 0.9, 'a number in [0, 1]', unitClosed);
    this.momentum = numberOption('RMSprop', bag, 'momentum', 0, 'a number in [0, 1]', unitClosed);
    this.epsilon = numberOption('RMSprop', bag, 'epsilon', 1e-7, 'a number >= 0', (v) => v >= 0);
    this.centered = booleanOption('RMSprop', bag, 'centered', false);
  }

  override slotNames(): readonly string[] {
    return [
      'velocity',
      ...(this.momentum > 0 ? ['momentum'] : []),
      ...(this.centered ? ['average_gradient'] : []),
    ];
  }

  protected override updateStep(variable: tf.Variable, gradient: Gradient, lr: number): void {
    const rho = this.rho;
    const velocity = this.slot(variable, 'velocity');
    velocity.assign(tf.add(tf.mul(rho, velocity), tf.mul(1 - rho, gradient.square())));
    let denominator: tf.Tensor;
    if (this.centered) {
      const average = this.slot(variable, 'average_gradient');
      average.assign(tf.add(tf.mul(rho, average), tf.mul(1 - rho, gradient.value)));
      denominator = tf.add(tf.sub(velocity, tf.square(average)), this.epsilon);
    } else {
      denominator = tf.add(velocity, this.epsilon);
    }
    const increment = tf.div(tf.mul(lr, gradient.value), tf.sqrt(denominator));
    if (this.momentum > 0) {
      const momentum = this.slot(variable, 'momentum');
      momentum.assign(tf.add(tf.mul(this.momentum, momentum), increment));
      variable.assign(tf.sub(variable, momentum));
    } else {
      variable.assign(tf.sub(variable, increment));
    }
  }

  protected override specificConfig(): tf.serialization.ConfigDict {
    return {
      rho: this.rho,
      momentum: this.momentum,
      epsilon: this.epsilon,
      centered: this.centered,
    };
  }
}

tf.serialization.registerClass(RMSprop);
