/**
 * A small stack of every kind with recurrent dropout, run through the kernels' gated stack
 * op: its output and the gradients of x and every weight, as plain numbers. For comparing the
 * kernels' two builds (each process loads one), so it must not depend on jest.
 */
import * as tf from '@tensorflow/tfjs';
import type { GatedStackLayer } from '../../src/kernels/cells/gated_stack';
import { wasmGatedStack } from '../../src/kernels/wasm';

/** Deterministic values in [-scale, scale) of a given shape. */
function values(shape: number[], seed: number, scale: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from(
    { length: size },
    (_, i) => Math.sin(seed * 97.1 + i * 1.7) * scale,
  );
  return tf.tensor(data, shape);
}

/** The output's and the gradients' values of the case, flattened, in order. */
export function gatedCaseNumbers(): number[] {
  return tf.tidy(() => {
    const [batch, steps, features] = [9, 5, 3];
    const x = values([batch, steps, features], 1, 1);
    const kinds: [GatedStackLayer['kind'], number][] = [
      ['GRU', 6],
      ['SimpleRNN', 5],
      ['LSTM', 4],
    ];
    let width = features;
    const weights: tf.Tensor[] = [];
    const layers = kinds.map(([kind, units], i): GatedStackLayer => {
      const gates = kind === 'LSTM' ? 4 : kind === 'GRU' ? 3 : 1;
      const kernel = values([width, gates * units], 10 + i, 0.5) as tf.Tensor2D;
      const recurrentKernel = values([units, gates * units], 20 + i, 0.5) as tf.Tensor2D;
      const bias = values(kind === 'GRU' ? [2, gates * units] : [gates * units], 30 + i, 0.3);
      weights.push(kernel, recurrentKernel, bias);
      const recurrent = Array.from({ length: gates }, (_, k) =>
        tf.mul<tf.Tensor2D>(tf.step(values([batch, units], 40 + 10 * i + k, 1)), 2),
      );
      width = units;
      return {
        kind,
        weights: { kernel, recurrentKernel, bias },
        options: {
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          resetAfter: true,
          goBackwards: i === 1,
          returnSequences: i < kinds.length - 1,
        },
        gateMasks: { recurrent },
      };
    });
    const f = (...inputs: tf.Tensor[]): tf.Scalar => {
      const [xs, ...w] = inputs;
      const run = layers.map((l, i) => ({
        ...l,
        weights: {
          kernel: w[3 * i] as tf.Tensor2D,
          recurrentKernel: w[3 * i + 1] as tf.Tensor2D,
          bias: w[3 * i + 2],
        },
      }));
      return tf.sum(tf.square(wasmGatedStack(xs as tf.Tensor3D, run)));
    };
    const { value, grads } = tf.valueAndGrads(f)([x, ...weights]);
    return [value, ...grads].flatMap((t) => Array.from(t.dataSync()));
  });
}
