/**
 * Dropout masks drawn in a plain JavaScript loop. tf.dropout draws its uniform numbers one by
 * one through tfjs's seeded generator: ~12 ms for the stock model's [64, 60, 80] sequence on the
 * wasm backend (14 ms on tensorflow), more than the rest of a training batch. This draws the
 * same kind of mask in ~3 ms.
 *
 * The rule is Keras's (TensorFlow's `tf.nn.dropout`): an element is kept where its uniform
 * number is at least `rate`, and kept elements are scaled by float32(1 / (1 - rate)).
 */

/** Uniform numbers in [0, 1) from a 32-bit seed (mulberry32: one multiply-xorshift round). */
export class MaskRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator seeded from Math.random, for layers without a seed. */
  static unseeded(): MaskRandom {
    return new MaskRandom(Math.floor(Math.random() * 0x1_0000_0000));
  }

  /** Fills `out` with the mask of `rate`: 0, or float32(1 / (1 - rate)) with probability 1 - rate. */
  fillMask(out: Float32Array, rate: number): Float32Array {
    const scale = Math.fround(1 / (1 - rate));
    // u = bits / 2^32 >= rate exactly when bits >= rate * 2^32 (both exact in doubles); with
    // the top bit flipped, unsigned order is signed int32 order, and the loop stays in int32.
    const threshold = rate * 0x1_0000_0000 - 0x8000_0000;
    let s = this.state;
    for (let i = 0; i < out.length; i++) {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      out[i] = (t ^ (t >>> 14) ^ 0x8000_0000) >= threshold ? scale : 0;
    }
    this.state = s;
    return out;
  }
}
