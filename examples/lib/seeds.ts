/**
 * Seeded weight initializers, so an example trains the same way every run (the role of
 * `keras.utils.set_random_seed(42)` in the course's notebooks). Each call takes the next seed.
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
