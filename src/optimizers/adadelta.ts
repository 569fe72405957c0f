/**
 * Adadelta: Keras 3's update rule (the accumulated squared gradient is updated before it
 * divides, unlike tfjs's `tf.train.adadelta`).
 *
 * Eg = rho * Eg + (1 - rho) * g²
 * delta = -sqrt(Ed + epsilon) * g / sqrt(Eg + epsilon)
 * Ed = rho * Ed + (1 - rho) * delta²;  w += lr * delta
 *
 * For an embedding table, g² and delta² are summed over the per-lookup rows (Keras's
 * IndexedSlices).
 */
import * as tf from '@tensorflow/tfjs';
import type { Gradient } from './gradient';
import { KERAS_OPTIMIZER_OPTIONS, type KerasOptimizerArgs, KerasOptimizer } from './optimizer';
import { type OptionBag, numberOption } from './options';

/** Options of Adadelta. */
export interface AdadeltaArgs extends KerasOptimizerArgs {
  /** Decay of both accumulators, in [0, 1]. Default: 0.95. */
  rho?: number;
  /** Added under both square roots. Default: 1e-7. */
  epsilon?: number;
}

/** The keys of AdadeltaArgs. */
export const ADADELTA_OPTIONS = KERAS_OPTIMIZER_OPTIONS.extend<AdadeltaArgs>({
  rho: true,
  epsilon: true,
});

/** Keras's `Adadelta`. Default learning rate 0.001 (tfjs: 1.0). */
export class Adadelta extends KerasOptimizer {
  /** The class name under which tfjs serializes and deserializes it (Keras's, where Keras has the class). */
  static className = 'Adadelta';
  /** Decay rate of the running averages, Keras's `rho`. */
  readonly rho: number;
  /** Small constant for numerical stability, Keras's `epsilon`. */
  readonly epsilon: number;

  constructor(args: AdadeltaArgs = {}) {
    super(args as OptionBag, ADADELTA_OPTIONS, { name: 'adadelta', learningRate: 0.001 });
    const bag = args as OptionBag;
    this.rho = numberOption('Adadelta', bag, 'rho', 0.95, 'a number in [0, 1]', (v) => {
      return v >= 0 && v <= 1;
    });
    this.epsilon = numberOption('Adadelta', bag, 'epsilon', 1e-7, 'a number >= 0', (v) => v >= 0);
  }

  override slotNames(): readonly string[] {
    return ['accumulated_grad', 'accumulated_delta_var'];
  }

  protected override updateStep(variable: tf.Variable, gradient: Gradient, lr: number): void {
    const rho = this.rho;
    const accumulatedGrad = this.slot(variable, 'accumulated_grad');
    const accumulatedDelta = this.slot(variable, 'accumulated_delta_var');
    const rms = (x: tf.Tensor): tf.Tensor => tf.sqrt(tf.add(x, this.epsilon));
    accumulatedGrad.assign(
      tf.add(tf.mul(rho, accumulatedGrad), tf.mul(1 - rho, gradient.square())),
    );
    const deltaOf = (g: tf.Tensor, rmsDelta: tf.Tensor, rmsGrad: tf.Tensor): tf.Tensor =>
      tf.neg(tf.div(tf.mul(rmsDelta, g), rmsGrad));
    const rmsDelta = rms(accumulatedDelta);
    const rmsGrad = rms(accumulatedGrad);
    const delta = deltaOf(gradient.value, rmsDelta, rmsGrad);
    const deltaSquared = gradient.mapSum(
      (g, d, a) => tf.square(deltaOf(g, d, a)),
      rmsDelta,
      rmsGrad,
    );
    accumulatedDelta.assign(tf.add(tf.mul(rho, accumulatedDelta), tf.mul(1 - rho, deltaSquared)));
    variable.assign(tf.add(variable, tf.mul(lr, delta)));
  }

  protected override specificConfig(): tf.serialization.ConfigDict {
    return { rho: this.rho, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(Adadelta);
