/**
 * A task that needs a long memory: the first step of each sequence shows one of K classes, the
 * T - 1 steps after it are noise, and the class must be told at the last step. Whatever the model
 * predicts must have travelled from h_1 to h_T, so the gradient that teaches it must travel back
 * the same T - 1 steps. Seeded, so every run draws the same sequences.
 */
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from './seeds';

/** Options of `firstSymbolTask`. */
export interface FirstSymbolTaskArgs {
  /** Number of sequences. Required. */
  samples: number;
  /** Steps per sequence, T (the class at step 1, noise at steps 2..T). Required. */
  steps: number;
  /** Number of classes, K; chance accuracy is 1/K. Default: 4. */
  classes?: number;
  /** Number of noise symbols, drawn uniformly at steps 2..T. Default: 4. */
  noiseSymbols?: number;
  /** Seed of the draw. Required. */
  seed: number;
}

/** The sequences and their classes. */
export interface FirstSymbolTask {
  /**
   * [samples, T, K + noise] one-hot: step 1 is one of the first K features (the class), every
   * later step one of the noise features.
   */
  x: tf.Tensor3D;
  /** [samples] the class index, 0..K-1 (for sparse categorical cross-entropy). */
  y: tf.Tensor1D;
  /** K. */
  classes: number;
  /** Features per step, K + noise symbols. */
  features: number;
}

/** Draws `samples` sequences of the first-symbol task (see the file's comment). */
export function firstSymbolTask(args: FirstSymbolTaskArgs): FirstSymbolTask {
  const { samples, steps, seed } = args;
  const classes = args.classes ?? 4;
  const noise = args.noiseSymbols ?? 4;
  for (const [name, value] of Object.entries({ samples, steps, classes, noise })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(
        `firstSymbolTask: expected ${name} to be a positive integer, received ${value}.`,
      );
    }
  }
  const features = classes + noise;
  const random = seededRandom(seed);
  const draw = (n: number): number => Math.min(n - 1, Math.floor(random() * n));
  const x = new Float32Array(samples * steps * features);
  const y = new Float32Array(samples);
  for (let s = 0; s < samples; s++) {
    const label = draw(classes);
    y[s] = label;
    x[s * steps * features + label] = 1;
    for (let t = 1; t < steps; t++) {
      x[(s * steps + t) * features + classes + draw(noise)] = 1;
    }
  }
  return {
    x: tf.tensor3d(x, [samples, steps, features]),
    y: tf.tensor1d(y),
    classes,
    features,
  };
}
