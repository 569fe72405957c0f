/**
 * Consecutive recurrent layers of a model run as one SimpleRNN kernel stack: the stock
 * model's SimpleRNN(80, returnSequences) -> SimpleRNN(100) is one op forward and one backward,
 * and the sequence between the two layers never becomes a tensor (see simpleRnnStack). The
 * values and gradients are those of the layers run one by one.
 */
import * as tf from '@tensorflow/tfjs';
import { simpleRnnStack } from '../../kernels/simple_rnn';
import { RNN } from './rnn';
import { checkSequenceShape } from './sequence_shape';

/** A built recurrent layer that can run in a kernel stack. */
function stackableLayer(layer: tf.layers.Layer | undefined): layer is RNN {
  return layer instanceof RNN && layer.built && layer.stackable;
}

/**
 * The layers from `start` on that run as one stack: a run of stackable recurrent layers, each
 * but the last returning sequences. Empty when layers[start] is not such a layer.
 */
export function recurrentRun(layers: readonly tf.layers.Layer[], start: number): RNN[] {
  const run: RNN[] = [];
  for (const layer of layers.slice(start)) {
    if (!stackableLayer(layer)) break;
    run.push(layer);
    if (!layer.returnSequences) break;
  }
  return run;
}

function subjectOf(layer: RNN): string {
  return `${layer.getClassName()} '${layer.name}'`;
}

/**
 * Runs `layers` (a run that `recurrentRun` found) on x [samples, timesteps, features]
 * as one kernel stack; the output of the last. `training` makes the layers' dropout masks.
 */
export function runRecurrentStack(
  layers: readonly RNN[],
  x: tf.Tensor,
  training: boolean,
): tf.Tensor {
  if (layers.length === 0) throw new Error('runRecurrentStack: no layers.');
  const first = layers[0];
  checkSequenceShape(subjectOf(first), x.shape, first.cells.at(0)?.inputFeatures);
  const [batch, steps, features] = x.shape as [number, number, number];
  let width = features;
  for (const layer of layers) {
    checkSequenceShape(subjectOf(layer), [batch, steps, width], layer.cells.at(0)?.inputFeatures);
    width = layer.cells.at(-1)?.units ?? width;
  }
  return tf.tidy(() => {
    let inputWidth = features;
    const stack = layers.flatMap((layer, i) => {
      const returnSequences = i < layers.length - 1 || layer.returnSequences;
      const cells = layer.stackLayers(batch, inputWidth, training, returnSequences);
      inputWidth = layer.cells.at(-1)?.units ?? inputWidth;
      return cells;
    });
    return simpleRnnStack(x as tf.Tensor3D, stack);
  });
}
