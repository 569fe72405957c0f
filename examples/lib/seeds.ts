/**
 * Seeded weight initializers, so an example trains the same way every run (the role of
 * `keras.utils.set_random_seed(42)` in the course's notebooks), each call taking the next seed;
 * and seeded uniform numbers for the examples' data.
 */
import * as tf from '@tensorflow/tfjs';
import { orthogonalInitializer } from 'tfjs-keras-rnn';

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

/** Hands out Keras's default initializers with seeds `base`, `base + 1`, ... */
export class Seeds {
  private next: number;

  constructor(base: number) {
    this.next = base;
  }

  private take(): number {
    return this.next++;
  }

  /** Keras's default `kernel_initializer`. */
  glorotUniform(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.take() });
  }

  /** Keras's default `recurrent_initializer`. */
  orthogonal(): Initializer {
    return orthogonalInitializer({ seed: this.take() });
  }

  /** Keras's default `embeddings_initializer` ('uniform', ±0.05). */
  uniform(): Initializer {
    return tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.take() });
  }

  /** The seed for the next random op that takes one (Dropout's `seed`, say). */
  seed(): number {
    return this.take();
  }
}

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
