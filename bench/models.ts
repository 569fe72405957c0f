/**
 * The two benchmark models, built with the same starting weights: with this package's layers
 * in its `Sequential` (twice: one per SimpleRNN kernel), and with `tf.layers` in a
 * `tf.sequential`. bench/keras_bench.py builds the same models in Python Keras.
 *
 * - letters: [4 steps x 5 one-hot] -> SimpleRNN(3) -> Dense(5, softmax); sparse categorical
 *   crossentropy; Adam, learning rate 0.01.
 * - stock: [60 steps x 1] -> SimpleRNN(80, returnSequences) -> SimpleRNN(100) -> Dense(1); MSE;
 *   Adam with Keras's defaults.
 * - stock-lstm, stock-gru: the same with LSTM or GRU layers, Keras's defaults (sigmoid gates; a
 *   GRU with resetAfter, which tf.layers cannot build: its GRU starts from weights of its own).
 */
import * as tf from '@tensorflow/tfjs';
import { Dense, GRU, LSTM, Sequential, SimpleRNN } from '../src/index';
import type { ModelName } from './protocol';

/** Deterministic uniform numbers in [0, 1) (mulberry32), so every run trains on the same data. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The training data of a model, in the two label layouts the contenders expect. */
export interface BenchData {
  x: tf.Tensor3D;
  /** Ours: class indices [samples] for letters, values [samples, 1] for stock. */
  yOurs: tf.Tensor;
  /** tf.layers: [samples, 1] for both (tfjs wants sparse labels with a trailing axis of 1). */
  yTheirs: tf.Tensor;
}

const LETTERS = { steps: 4, classes: 5 };
const STOCK = { steps: 60 };

export function makeData(model: ModelName, samples: number): BenchData {
  const next = uniform(1234);
  if (model === 'letters') {
    const { steps, classes } = LETTERS;
    const x = new Float32Array(samples * steps * classes);
    for (let i = 0; i < samples * steps; i++) x[i * classes + Math.floor(next() * classes)] = 1;
    const labels = Float32Array.from({ length: samples }, () => Math.floor(next() * classes));
    return {
      x: tf.tensor3d(x, [samples, steps, classes]),
      yOurs: tf.tensor1d(labels),
      yTheirs: tf.tensor2d(labels, [samples, 1]),
    };
  }
  const x = Float32Array.from({ length: samples * STOCK.steps }, next);
  const y = Float32Array.from({ length: samples }, next);
  return {
    x: tf.tensor3d(x, [samples, STOCK.steps, 1]),
    yOurs: tf.tensor2d(y, [samples, 1]),
    yTheirs: tf.tensor2d(y, [samples, 1]),
  };
}

/** Our model, compiled. */
export function buildOurs(model: ModelName): Sequential {
  if (model === 'letters') {
    const ours = new Sequential([
      new SimpleRNN({ units: 3, inputShape: [LETTERS.steps, LETTERS.classes] }),
      new Dense({ units: LETTERS.classes, activation: 'softmax' }),
    ]);
    ours.compile({
      optimizer: { name: 'adam', learningRate: 0.01 },
      loss: 'sparse_categorical_crossentropy',
    });
    return ours;
  }
  const Layer = model === 'stock-lstm' ? LSTM : model === 'stock-gru' ? GRU : SimpleRNN;
  const ours = new Sequential([
    new Layer({ units: 80, returnSequences: true, inputShape: [STOCK.steps, 1] }),
    new Layer({ units: 100 }),
    new Dense({ units: 1 }),
  ]);
  ours.compile({ optimizer: 'adam', loss: 'mse' });
  return ours;
}

/** tf.layers' model, compiled with the same optimizer settings and loss. */
export function buildTheirs(model: ModelName): tf.Sequential {
  if (model === 'letters') {
    const theirs = tf.sequential({
      layers: [
        tf.layers.simpleRNN({ units: 3, inputShape: [LETTERS.steps, LETTERS.classes] }),
        tf.layers.dense({ units: LETTERS.classes, activation: 'softmax' }),
      ],
    });
    theirs.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
    return theirs;
  }
  // Keras's sigmoid gates (tf.layers' default is hardSigmoid).
  const layer =
    model === 'stock-lstm'
      ? (args: { units: number; returnSequences?: boolean; inputShape?: number[] }) =>
          tf.layers.lstm({ ...args, recurrentActivation: 'sigmoid' })
      : model === 'stock-gru'
        ? (args: { units: number; returnSequences?: boolean; inputShape?: number[] }) =>
            tf.layers.gru({ ...args, recurrentActivation: 'sigmoid' })
        : tf.layers.simpleRNN;
  const theirs = tf.sequential({
    layers: [
      layer({ units: 80, returnSequences: true, inputShape: [STOCK.steps, 1] }),
      layer({ units: 100 }),
      tf.layers.dense({ units: 1 }),
    ],
  });
  // Keras's Adam defaults (tfjs's epsilon default is also 1e-7).
  theirs.compile({ optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-7), loss: 'meanSquaredError' });
  return theirs;
}

/** Whether tf.layers' model of `model` has our weight layouts (its GRU has no resetAfter). */
export function sameLayouts(model: ModelName): boolean {
  return model !== 'stock-gru';
}

/**
 * Copies our weights into another model of the same architecture: a second one of ours, or
 * tf.layers' (the layouts are the same: kernel [features, units], recurrent kernel
 * [units, units], bias [units]).
 */
export function copyWeights(from: Sequential, to: Sequential | tf.Sequential): void {
  const weights = from.getWeights();
  try {
    to.setWeights(weights);
  } finally {
    tf.dispose(weights);
  }
}
