/**
 * The last step of loading a Keras model file, shared by `.keras` and legacy `.h5`: the rebuilt
 * model (weights already set) becomes a `Sequential`, compiled as saved, with the optimizer's
 * state. Whatever was built is disposed when a step fails.
 */
import * as tf from '@tensorflow/tfjs';
import type { CompileArgs } from '../models/compile';
import { Sequential } from '../models/sequential';
import type { H5Dataset } from './h5_weights';
import { restoreOptimizerState } from './keras_compile';
import { KerasJsonError } from './keras_json';
import type { KerasModel } from './keras_model';
import { kerasWeightOrder } from './keras_weights';

/**
 * `built` as a Sequential, compiled with `compile` when given and its optimizer's variables
 * (`optimizer/vars/<i>`, read only then) restored; disposes `built` on failure.
 */
export async function finishLoadedModel(
  where: string,
  built: KerasModel,
  compile: CompileArgs | undefined,
  optimizerWeights: () => Map<string, H5Dataset>,
): Promise<Sequential> {
  if (!(built.model instanceof tf.Sequential)) {
    built.model.dispose();
    throw new KerasJsonError(`${where}: only Sequential models load yet.`);
  }
  let model: Sequential;
  try {
    model = Sequential.adopt(built.model, compile);
  } catch (err) {
    built.model.dispose();
    throw err;
  }
  if (compile === undefined) return model;
  try {
    const trainable = kerasWeightOrder(built)
      .map((slot) => slot.variable)
      .filter((variable) => variable.trainable);
    await restoreOptimizerState(where, model, trainable, optimizerWeights());
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  }
}
