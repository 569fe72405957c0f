/**
 * Adagrad: Keras 3's update rule.
 *
 * acc += g²;  w -= lr * g / sqrt(acc + epsilon)
 *
 * For an embedding table, g² is the sum of the squared per-lookup rows (Keras's IndexedSlices).
 */
import * as tf from '@tensorflow/tfjs';
import type { Gradient } from './gradient';
import { KERAS_OPTIMIZER_OPTIONS, type KerasOptimizerArgs, KerasOptimizer } from './optimizer';
import { type OptionBag, numberOption } from './options';

/** Options of Adagrad. */
export interface AdagradArgs extends KerasOptimizerArgs {
  /** The starting value of every accumulator, >= 0. Default: 0.1. */
  initialAccumulatorValue?: number;
  /** Added to the accumulator under the square root. Default: 1e-7. */
  epsilon?: number;
}

/** The keys of AdagradArgs. */
export const ADAGRAD_OPTIONS = KERAS_OPTIMIZER_OPTIONS.extend<AdagradArgs>({
  initialAccumulatorValue: true,
  epsilon: true,
});

/** Keras's `Adagrad`. Default learning rate 0.001 (tfjs: 0.01). */
export class Adagrad extends KerasOptimizer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'Adagrad';
  /** Starting value of the accumulators, Keras's `initial_accumulator_value`. */
  readonly initialAccumulatorValue: number;
  /** Small constant for numerical stability, Keras's `epsilon`. */
  readonly epsilon: number;

  constructor(args: AdagradArgs = {}) {
    super(args as OptionBag, ADAGRAD_OPTIONS, {
      name: 'adagrad',
      learningRate: 0.001,
    });
    const bag = args as OptionBag;
    this.initialAccumulatorValue = numberOption(
      'Adagrad',
      bag,
      'initialAccumulatorValue',
      0.1,
      'a number >= 0',
      (v) => v >= 0,
    );
    this.epsilon = numberOption('Adagrad', bag, 'epsilon', 1e-7, 'a number >= 0', (v) => v >= 0);
  }

  override slotNames(): readonly string[] {
    return ['accumulator'];
  }

  protected override slotInitialValue(): number {
    return this.initialAccumulatorValue;
  }

  protected override updateStep(variable: tf.Variable, gradient: Gradient, lr: number): void {
    const accumulator = this.slot(variable, 'accumulator');
    accumulator.assign(tf.add(accumulator, gradient.square()));
    variable.assign(
      tf.sub(
        variable,
        tf.div(tf.mul(lr, gradient.value), tf.sqrt(tf.add(accumulator, this.epsilon))),
      ),
    );
  }

  protected override specificConfig(): tf.serialization.ConfigDict {
    return { initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(Adagrad);
