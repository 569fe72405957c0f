/**
 * The benchmark models' training data, made in one place: bench/models.ts turns it into tensors
 * for the tfjs contenders, and bench/run.ts hands the same numbers to the Keras worker
 * (bench/keras_bench.py), so that every contender trains on the same samples. Plain arrays, no
 * tfjs: the parent process makes it without loading a backend.
 *
 * - letters: x one-hot letters [samples, 4, 5], y class indices [samples].
 * - stock (and stock-lstm, stock-gru): x uniform [samples, 60, 1], y uniform [samples, 1].
 * - imdb: x word ids [samples, 80] in [1, 5000), each row a random length in [10, 80] padded
 *   with 0 on the right (Keras's `pad_sequences(..., padding="post")`); y 0 or 1 [samples, 1].
 */
import type { ModelName } from './protocol';

/** Deterministic uniform numbers in [0, 1) (mulberry32), so every run trains on the same data. */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The letters model's input: 4 one-hot letters of 5. */
export const LETTERS = { steps: 4, classes: 5 } as const;
/** The stock models' input: 60 steps of 1 feature. */
export const STOCK = { steps: 60 } as const;
/**
 * The IMDB-shaped classifier: reviews of 10 to 80 word ids out of a 5000-word vocabulary (id 0
 * is padding), an Embedding of 64 and a Bidirectional LSTM of 64 units.
 */
export const IMDB = {
  steps: 80,
  vocabulary: 5000,
  embedding: 64,
  units: 64,
  minLength: 10,
} as const;

/** Numbers, row-major, with their shape and the dtype Keras should read them as. */
export interface BenchArray {
  values: Float32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** A model's inputs and labels (labels as this package takes them; tf.layers adds an axis). */
export interface BenchArrays {
  x: BenchArray;
  y: BenchArray;
}

/** The training data of `model`: the same numbers for every `samples`-sized run. */
export function benchArrays(model: ModelName, samples: number): BenchArrays {
  const next = uniform(1234);
  if (model === 'letters') {
    const { steps, classes } = LETTERS;
    const x = new Float32Array(samples * steps * classes);
    for (let i = 0; i < samples * steps; i++) x[i * classes + Math.floor(next() * classes)] = 1;
    const labels = Float32Array.from({ length: samples }, () => Math.floor(next() * classes));
    return {
      x: { values: x, shape: [samples, steps, classes], dtype: 'float32' },
      y: { values: labels, shape: [samples], dtype: 'int32' },
    };
  }
  if (model === 'imdb') {
    const { steps, vocabulary, minLength } = IMDB;
    const x = new Float32Array(samples * steps);
    for (let i = 0; i < samples; i++) {
      const length = minLength + Math.floor(next() * (steps - minLength + 1));
      for (let t = 0; t < length; t++) x[i * steps + t] = 1 + Math.floor(next() * (vocabulary - 1));
    }
    const labels = Float32Array.from({ length: samples }, () => (next() < 0.5 ? 0 : 1));
    return {
      x: { values: x, shape: [samples, steps], dtype: 'int32' },
      y: { values: labels, shape: [samples, 1], dtype: 'float32' },
    };
  }
  const x = Float32Array.from({ length: samples * STOCK.steps }, next);
  const y = Float32Array.from({ length: samples }, next);
  return {
    x: { values: x, shape: [samples, STOCK.steps, 1], dtype: 'float32' },
    y: { values: y, shape: [samples, 1], dtype: 'float32' },
  };
}
