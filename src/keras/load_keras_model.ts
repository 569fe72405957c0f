/**
 * `loadKerasModel(path)`: a Keras 3 `.keras` file (or a legacy `.h5` one: legacy_h5.ts) -> a
 * `Sequential` of this package's layers with Keras's weights: the architecture from config.json
 * (as `modelFromKeras` reads it), the weights from model.weights.h5 in Keras's layout
 * (weights_layout.ts), a compiled model's optimizer state with them (keras_compile.ts).
 */
import type { Sequential } from '../models/sequential';
import { optionKeys } from '../option_keys';
import { readKerasArchive } from './keras_archive';
import { functionalChainAsSequential } from './functional_chain';
import { compileArgsFromKeras } from './keras_compile';
import { type JsonObject, KerasJsonError, isJsonObject, show } from './keras_json';
import type { KerasModel } from './keras_model';
import { loadKerasWeights } from './keras_weights';
import { loadLegacyH5Model } from './legacy_h5';
import { finishLoadedModel } from './loaded_model';
import { modelFromKeras } from './model_from_keras';
import { weightsInLayerOrder } from './weights_layout';

/** Options of `loadKerasModel`, as Keras's `load_model`. */
export interface LoadKerasModelOptions {
  /**
   * Compile the model as it was saved, with the optimizer's state. False loads the architecture
   * and the weights only, as Keras's `compile=False`. Default: true.
   */
  compile?: boolean;
}

const LOAD_OPTIONS = optionKeys<LoadKerasModelOptions>(
  { compile: true },
  { custom_objects: { hint: 'this package loads Keras layers only' } },
);

/** config.json's `compile_config` when the model was saved compiled (Keras writes {} if not). */
function compileConfigOf(config: unknown): JsonObject | undefined {
  if (!isJsonObject(config)) return undefined;
  const compileConfig = config.compile_config;
  return isJsonObject(compileConfig) && Object.keys(compileConfig).length > 0
    ? compileConfig
    : undefined;
}

/**
 * Loads a Keras 3 `.keras` file (`model.save("m.keras")` in Python) as a `Sequential` with its
 * weights, or a legacy `.h5` model file (tf.keras 2's, or Keras 3's legacy writer's). Refuses,
 * naming the file: a missing or unreadable file, a zip without config.json or its weights, a model that is not a Sequential, a layer class or option this package does not
 * have, weights that do not fit the model. A file saved compiled comes back compiled (optimizer
 * with its hyperparameters, loss, metrics) with the optimizer's state, so that `fit` goes on
 * with the step Keras would take next (Adam, RMSprop and one-slot optimizers so far);
 * `{ compile: false }` loads the layers and weights only.
 */
export async function loadKerasModel(
  path: string,
  options: LoadKerasModelOptions = {},
): Promise<Sequential> {
  const subject = 'loadKerasModel';
  LOAD_OPTIONS.check(subject, options);
  if (path.endsWith('.h5') && !path.endsWith('.weights.h5')) {
    return loadLegacyH5Model(subject, path, options.compile ?? true);
  }
  if (!path.endsWith('.keras')) {
    throw new KerasJsonError(
      `${subject}: expected a Keras model file ending in .keras or .h5, received '${path}'${path.endsWith('.weights.h5') ? ' (a weights file: build the model, then loadWeights)' : ''}.`,
    );
  }
  const archive = await readKerasArchive(subject, path);
  const where = `${subject}: '${path}'`;
  const compileConfig = options.compile === false ? undefined : compileConfigOf(archive.config);
  const compileArgs =
    compileConfig === undefined ? undefined : compileArgsFromKeras(where, compileConfig);
  let config = archive.config;
  if (isJsonObject(config) && config.class_name === 'Functional') {
    config = functionalChainAsSequential(where, config);
  } else if (isJsonObject(config) && config.class_name !== 'Sequential') {
    throw new KerasJsonError(
      `${subject}: '${path}' holds a ${show(config.class_name)} model; only Sequential models and Functional chains load yet.`,
    );
  }
  const inFile = (err: unknown): unknown =>
    err instanceof KerasJsonError
      ? new KerasJsonError(`${subject}: '${path}': ${err.message}`)
      : err;
  let built: KerasModel;
  try {
    built = modelFromKeras(config, { initializeWeights: false });
  } catch (err) {
    throw inFile(err);
  }
  try {
    const weights = weightsInLayerOrder(subject, where, built.layers, archive.weights);
    try {
      loadKerasWeights(built, weights);
    } catch (err) {
      throw inFile(err);
    }
  } catch (err) {
    built.model.dispose();
    throw err;
  }
  return finishLoadedModel(where, built, compileArgs, () => archive.weights);
}
