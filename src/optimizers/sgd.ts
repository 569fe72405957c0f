/**
 * SGD: Keras 3's gradient descent, with momentum and Nesterov momentum.
 *
 * momentum 0:  w -= lr * g
 * momentum m:  v = m * v - lr * g;  w += v  (Nesterov: w += m * v - lr * g)
 */
import * as tf from '@tensorflow/tfjs';
import type { Gradient } from './gradient';
import { KERAS_OPTIMIZER_OPTIONS, type KerasOptimizerArgs, KerasOptimizer } from './optimizer';
import { type OptionBag, booleanOption, numberOption } from './options';

/** Options of SGD. */
export interface SGDArgs extends KerasOptimizerArgs {
  /** Momentum, in [0, 1]; 0 is plain gradient descent. Default: 0. */
  momentum?: number;
  /** Nesterov momentum (with `momentum` > 0). Default: false. */
  nesterov?: boolean;
}

/** The keys of SGDArgs. */
export const SGD_OPTIONS = KERAS_OPTIMIZER_OPTIONS.extend<SGDArgs>({
  momentum: true,
  nesterov: true,
});

/** Keras's `SGD`. Default learning rate 0.01. */
export class SGD extends KerasOptimizer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'SGD';
  /** Momentum factor, Keras's `momentum` (0: none). */
  readonly momentum: number;
  /** Whether to use Nesterov momentum, Keras's `nesterov`. */
  readonly nesterov: boolean;

  constructor(args: SGDArgs = {}) {
    super(args as OptionBag, SGD_OPTIONS, { name: 'sgd', learningRate: 0.01 });
    const bag = args as OptionBag;
    this.momentum = numberOption(
      'SGD',
      bag,
      'momentum',
      0,
      'a number in [0, 1]',
      (v) => v >= 0 && v <= 1,
    );
    this.nesterov = booleanOption('SGD', bag, 'nesterov', false);
  }

  override slotNames(): readonly string[] {
    return this.momentum !== 0 ? ['momentum'] : [];
  }

  protected override updateStep(variable: tf.Variable, gradient: Gradient, lr: number): void {
    const g = gradient.value;
    if (this.momentum === 0) {
      variable.assign(tf.sub(variable, tf.mul(g, lr)));
      return;
    }
    const m = this.slot(variable, 'momentum');
    m.assign(tf.sub(tf.mul(m, this.momentum), tf.mul(g, lr)));
    if (this.nesterov) {
      variable.assign(tf.add(variable, tf.sub(tf.mul(m, this.momentum), tf.mul(g, lr))));
    } else {
      variable.assign(tf.add(variable, m));
    }
  }

  protected override specificConfig(): tf.serialization.ConfigDict {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }
}

tf.serialization.registerClass(SGD);
