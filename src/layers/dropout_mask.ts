/**
 * Dropout masks drawn from a plain 32-bit generator. tf.dropout draws its uniform numbers one by
 * one through tfjs's seeded generator: ~12 ms for the stock model's [64, 60, 80] sequence on the
 * wasm backend (14 ms on tensorflow), more than the rest of a training batch. The loop here
 * draws the same kind of mask in ~2 ms, and the kernels' module (src/kernels/wasm/dropout.ts)
 * the same numbers four at a time where it loads.
 *
 * The rule is Keras's (TensorFlow's `tf.nn.dropout`): an element is kept where its uniform
 * number is at least `rate`, and kept elements are scaled by float32(1 / (1 - rate)).
 */
import { wasmFillDropoutMask } from '../kernels/wasm/dropout';

/** Uniform numbers in [0, 1) from a 32-bit seed (mulberry32: one multiply-xorshift round). */
export class MaskRandom {
  private state: number;

  constructor(seed: number) {
    // Kept as an int32: a state above 2^31 as a double would slow the whole loop down.
    this.state = seed | 0;
  }

  /** A generator seeded from Math.random, for layers without a seed. */
  static unseeded(): MaskRandom {
    return new MaskRandom(Math.floor(Math.random() * 0x1_0000_0000));
  }

  /** Fills `out` with the mask of `rate`: 0, or float32(1 / (1 - rate)) with probability 1 - rate. */
  fillMask(out: Float32Array, rate: number): Float32Array {
    // The same numbers either way; the kernels' module draws four at a time.
    this.state = wasmFillDropoutMask(out, this.state, rate) ?? fillFrom(this.state, out, rate);
    return out;
  }
}

/**
 * The mask loop from generator state `state`; returns the state after it. A plain function:
 * as a method reading and writing the state field, the same loop ran 1.6x slower.
 */
export function fillFrom(state: number, out: Float32Array, rate: number): number {
  const scale = Math.fround(1 / (1 - rate));
  // u = bits / 2^32 >= rate exactly when bits >= rate * 2^32 (both exact in doubles); with the
  // top bit flipped, unsigned order is signed int32 order, and the loop stays in int32.
  const threshold = rate * 0x1_0000_0000 - 0x8000_0000;
  let s = state | 0;
  const n = out.length;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14) ^ 0x8000_0000) >= threshold ? scale : 0;
  }
  return s;
}
