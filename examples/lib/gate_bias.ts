/**
 * Opening a gated cell's memory at initialization ("chrono initialization", Tallec and Ollivier,
 * "Can recurrent neural networks warp time?", ICLR 2018). With Keras's defaults an LSTM's
 * forget gate starts at sigmoid(1) = 0.73 and a GRU's update gate at sigmoid(0) = 0.5, so before
 * training both forget a little at every step and the gradient through their memory shrinks by
 * about that factor per step, like a SimpleRNN's. Chrono initialization draws the forget (LSTM)
 * or update (GRU) gate's bias as ln(U(1, T - 1)) for sequences of up to T steps, so that a unit
 * keeps its memory for up to about T steps; an LSTM's input gate bias is its negative.
 */
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from './seeds';

/**
 * Sets the gate biases of `layer` (a built LSTM or GRU of `units` units) by chrono
 * initialization for sequences of up to `steps` steps, drawn with `seed`; the other weights are
 * kept. LSTM bias [4u], gates i, f, c, o: b_f = ln(U(1, T - 1)), b_i = -b_f. GRU bias [2, 3u]
 * (resetAfter), gates z, r, h, where h_t = z·h_{t-1} + (1 - z)·candidate: b_z (input row) =
 * ln(U(1, T - 1)).
 */
export function openGates(
  layer: tf.layers.Layer,
  kind: 'lstm' | 'gru',
  units: number,
  steps: number,
  seed: number,
): void {
  const random = seededRandom(seed);
  const draw = (): number => Math.log(1 + random() * Math.max(0, steps - 2));
  const weights = layer.getWeights();
  if (weights.length !== 3) {
    throw new Error(
      `openGates: expected a built ${kind} layer with kernel, recurrent kernel and bias, received ${weights.length} weights.`,
    );
  }
  const [kernel, recurrent, bias] = weights;
  const values = Float32Array.from(bias.dataSync());
  const expected = kind === 'lstm' ? 4 * units : 6 * units;
  if (values.length !== expected) {
    throw new Error(
      `openGates: expected the ${kind} bias of ${units} units to hold ${expected} values, received ${values.length}.`,
    );
  }
  for (let j = 0; j < units; j++) {
    const open = draw();
    if (kind === 'lstm') {
      values[j] = -open; // input gate
      values[units + j] = open; // forget gate
    } else {
      values[j] = open; // update gate z, input-side bias (row 0)
    }
  }
  const newBias = tf.tensor(values, bias.shape);
  layer.setWeights([kernel, recurrent, newBias]);
  newBias.dispose();
}
