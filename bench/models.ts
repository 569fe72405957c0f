/**
 * The benchmark models, built with the same starting weights: with this package's layers in its
 * `Sequential` (twice: one per recurrent kernel), and with `tf.layers` in a `tf.sequential`.
 * bench/keras_bench.py builds the same models in Python Keras; bench/data.ts makes the data all
 * of them train on.
 *
 * - letters: [4 steps x 5 one-hot] -> SimpleRNN(3) -> Dense(5, softmax); sparse categorical
 *   crossentropy; Adam, learning rate 0.01.
 * - stock: [60 steps x 1] -> SimpleRNN(80, returnSequences) -> SimpleRNN(100) -> Dense(1); MSE;
 *   Adam with Keras's defaults.
 * - stock-lstm, stock-gru: the same with LSTM or GRU layers, Keras's defaults (sigmoid gates; a
 *   GRU with resetAfter, which tf.layers cannot build: its GRU starts from weights of its own).
 * - imdb: [80 word ids, 0 = padding] -> Embedding(5000, 64, maskZero) -> Bidirectional(LSTM(64))
 *   -> Dense(1, sigmoid); binary crossentropy; Adam with Keras's defaults. tf.layers builds it
 *   with its own embedding (maskZero) and bidirectional wrapper; on a backend without the kernel
 *   its Embedding's gradient needs, it cannot train it (see `theirsCannotTrain`).
 */
import * as tf from '@tensorflow/tfjs';
import { Bidirectional, Dense, Embedding, GRU, LSTM, Sequential, SimpleRNN } from '../src/index';
import { type BenchArray, IMDB, LETTERS, STOCK, benchArrays } from './data';
import type { ModelName } from './protocol';

/** The training data of a model, in the two label layouts the contenders expect. */
export interface BenchData {
  /** Inputs: [samples, steps, features], or word ids [samples, steps] for imdb. */
  x: tf.Tensor;
  /** Ours: class indices [samples] for letters, values [samples, 1] for the others. */
  yOurs: tf.Tensor;
  /** tf.layers: [samples, 1] for all (tfjs wants sparse labels with a trailing axis of 1). */
  yTheirs: tf.Tensor;
}

function tensorOf(a: BenchArray): tf.Tensor {
  return tf.tensor(a.values, a.shape);
}

/** The data of bench/data.ts as tensors (word ids stay float32: both Embeddings take them). */
export function makeData(model: ModelName, samples: number): BenchData {
  const { x, y } = benchArrays(model, samples);
  return {
    x: tensorOf(x),
    yOurs: tensorOf(y),
    yTheirs: tf.tensor2d(y.values, [samples, 1]),
  };
}

/** Our model, compiled. */
export function buildOurs(model: ModelName): Sequential {
  if (model === 'imdb') {
    const ours = new Sequential([
      new Embedding({
        inputDim: IMDB.vocabulary,
        outputDim: IMDB.embedding,
        maskZero: true,
        inputShape: [IMDB.steps],
      }),
      new Bidirectional({ layer: new LSTM({ units: IMDB.units }) }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    ours.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
    return ours;
  }
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
  if (model === 'imdb') {
    const theirs = tf.sequential({
      layers: [
        tf.layers.embedding({
          inputDim: IMDB.vocabulary,
          outputDim: IMDB.embedding,
          maskZero: true,
          inputLength: IMDB.steps,
        }),
        tf.layers.bidirectional({
          // Keras's sigmoid gates (tf.layers' default is hardSigmoid).
          layer: tf.layers.lstm({ units: IMDB.units, recurrentActivation: 'sigmoid' }),
          mergeMode: 'concat',
        }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    theirs.compile({
      optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-7),
      loss: 'binaryCrossentropy',
    });
    return theirs;
  }
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

/**
 * Why tf.layers cannot train `model` on the current backend, or null. Its Embedding's gradient
 * is tfjs's gather gradient, which runs the UnsortedSegmentSum kernel: tfjs-backend-wasm 4.22
 * has none, and the first batch would fail (ours has its own Embedding gradient).
 */
export function theirsCannotTrain(model: ModelName): string | null {
  if (model !== 'imdb') return null;
  const backend = tf.getBackend();
  const kernels = tf.getKernelsForBackend(backend);
  if (kernels.some((k) => k.kernelName === 'UnsortedSegmentSum')) return null;
  return `cannot train ${model} on ${backend}: the gradient of tf.layers' Embedding (tfjs's gather gradient) needs the UnsortedSegmentSum kernel, which tfjs ${tf.version.tfjs}'s ${backend} backend does not have`;
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
