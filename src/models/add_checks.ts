/**
 * What may be appended to a Sequential model.
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { Dropout } from '../layers/dropout';
import { Bidirectional } from '../layers/rnn/bidirectional';
import { RNN } from '../layers/rnn/rnn';
import { describeLayer } from '../layers/naming';
import { checkTakesMask, maskSource } from './mask_flow';

/**
 * The checks that make `Sequential.add` fail, leaving the model unchanged, before tfjs's own
 * less helpful errors: not a layer, a layer already there or a name taken, `returnState`
 * (several outputs), a recurrent layer fed by one without `returnSequences`, and a layer that
 * cannot take the mask that reaches it.
 */
export function checkAddable(
  stack: readonly tf.layers.Layer[],
  layer: unknown,
): asserts layer is tf.layers.Layer {
  const subject = 'Sequential.add';
  if (!(layer instanceof tf.layers.Layer)) {
    throw new ValueError(
      `${subject}: expected a layer (new SimpleRNN({...}), new Dense({...}), ...), received ${layer === null ? 'null' : typeof layer}.`,
    );
  }
  if (stack.includes(layer)) {
    throw new ValueError(`${subject}: ${describeLayer(layer)} is already in the model.`);
  }
  const clash = stack.find((l) => l.name === layer.name);
  if (clash !== undefined) {
    throw new ValueError(
      `${subject}: the model already has a layer named '${layer.name}' (${describeLayer(clash)}); layer names must be unique in a model. Pass a different \`name\`.`,
    );
  }
  if (layer instanceof RNN && layer.returnState) {
    throw new ValueError(
      `${subject}: ${describeLayer(layer)} has returnState: true and so returns several tensors, but a Sequential model passes one tensor from layer to layer. Call the layer directly to get its states.`,
    );
  }
  if (layer instanceof Bidirectional && (layer.returnState || layer.mergeMode === null)) {
    const why = layer.returnState ? 'returnState: true' : 'mergeMode: null';
    throw new ValueError(
      `${subject}: ${describeLayer(layer)} has ${why} and so returns several tensors, but a Sequential model passes one tensor from layer to layer. Call the layer directly to get them.`,
    );
  }
  checkTakesMask(layer, maskSource(stack));
  if (layer instanceof RNN || layer instanceof Bidirectional) {
    const feeder = [...stack].reverse().find((l) => !(l instanceof Dropout));
    if ((feeder instanceof RNN || feeder instanceof Bidirectional) && !feeder.returnSequences) {
      throw new ValueError(
        `${subject}: ${describeLayer(layer)} needs a sequence [samples, timesteps, features], but ${describeLayer(feeder)} before it returns only its last step [samples, units] (returnSequences: false). Create '${feeder.name}' with returnSequences: true.`,
      );
    }
  }
}
