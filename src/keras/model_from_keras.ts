/**
 * Keras model JSON (`model.to_json()`, `model.get_config()`, a tfjs `model.json`) -> a tfjs
 * model of this package's layers: `Sequential` and `Functional` models, or one layer applied to
 * an input shape (a fixture's `layer` + `input_shape`). Load Keras's weights after with
 * `loadKerasWeights` (keras_weights.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { functionalFromKeras } from './functional_from_keras';
import { KerasJsonError, errorMessage, isJsonArray, isJsonObject, kerasObject } from './keras_json';
import {
  KERAS_MODEL_OPTIONS,
  type KerasModel,
  type KerasModelOptions,
  buildMapped,
  buildOrClean,
  initializedIf,
} from './keras_model';
import { dialectOf } from './keras_values';
import { kerasLayerSpec } from './layer_from_keras';
import { sequentialFromKeras } from './sequential_from_keras';

export type { KerasModel, KerasModelLayer, KerasModelOptions } from './keras_model';

/** The model object inside what a user may hand over: to_json(), tfjs model.json, h5 config. */
function unwrapModel(json: unknown): { model: unknown; kerasVersion: string | undefined } {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json) as unknown;
    } catch (err) {
      throw new KerasJsonError(`Keras model: not valid JSON: ${errorMessage(err)}`);
    }
  }
  let kerasVersion: string | undefined;
  for (;;) {
    if (!isJsonObject(value)) break;
    if (typeof value.keras_version === 'string') kerasVersion = value.keras_version;
    const inner = value.modelTopology ?? value.model_config;
    if (inner === undefined || typeof value.class_name === 'string') break;
    value = inner;
  }
  // model.get_config() is the config without its {class_name, config} wrapper.
  if (isJsonObject(value) && value.class_name === undefined && isJsonArray(value.layers)) {
    const functional = value.input_layers !== undefined || value.output_layers !== undefined;
    value = { class_name: functional ? 'Functional' : 'Sequential', config: value };
  }
  return { model: value, kerasVersion };
}

/**
 * Rebuilds a Keras model from its JSON (`model.to_json()`, parsed or as text): a `Sequential`
 * or a `Functional` model. Throws a KerasJsonError that names the class and key of anything it
 * cannot map. The weights are initialized; load Keras's with `loadKerasWeights`.
 */
export function modelFromKeras(json: unknown, options: KerasModelOptions = {}): KerasModel {
  KERAS_MODEL_OPTIONS.check('modelFromKeras', options);
  const { model, kerasVersion } = unwrapModel(json);
  const dialect = options.dialect ?? dialectOf(kerasVersion);
  // Keras 2.2 wrote a Sequential's config as the bare list of its layers.
  const normalized =
    isJsonObject(model) && model.class_name === 'Sequential' && isJsonArray(model.config)
      ? { ...model, config: { layers: model.config } }
      : model;
  const object = kerasObject('Keras model', normalized);
  const initialize = options.initializeWeights ?? true;
  switch (object.className) {
    case 'Sequential':
      return initializedIf(initialize, () =>
        sequentialFromKeras(object.raw, object.config, dialect),
      );
    case 'Functional':
    case 'Model':
      return initializedIf(initialize, () =>
        functionalFromKeras(object.raw, object.config, dialect),
      );
    default:
      throw new KerasJsonError(
        `Keras model: class '${object.className}' is not a model this package rebuilds; expected 'Sequential' or 'Functional' (a single layer needs an input shape: modelFromKerasLayer).`,
      );
  }
}

/** Options of `modelFromKerasLayer`. */
export interface KerasLayerModelOptions extends KerasModelOptions {
  /** The input's dtype. Default: 'int32' for an Embedding, else 'float32'. */
  inputDtype?: 'float32' | 'int32';
  /**
   * The shapes of initial states the layer is called with (`layer(x, initial_state=[...])`),
   * each with the batch axis: they become inputs of the model after x. Default: none.
   */
  initialStateShapes?: readonly (readonly (number | null)[])[];
}

/** The keys of KerasLayerModelOptions. */
const KERAS_LAYER_MODEL_OPTIONS = KERAS_MODEL_OPTIONS.extend<KerasLayerModelOptions>({
  inputDtype: true,
  initialStateShapes: true,
});

/**
 * A model of one Keras layer (`{"class_name": ..., "config": layer.get_config()}`) applied to an
 * input of `batchShape` (`[null, 5, 3]`); all of the layer's outputs (with `return_state`, the
 * output then the states) are the model's outputs.
 */
export function modelFromKerasLayer(
  json: unknown,
  batchShape: readonly (number | null)[],
  options: KerasLayerModelOptions = {},
): KerasModel {
  KERAS_LAYER_MODEL_OPTIONS.check('modelFromKerasLayer', options);
  const dialect = options.dialect ?? dialectOf(undefined);
  const { spec, info } = kerasLayerSpec(json, { dialect, where: 'Keras layer' });
  const dtype = options.inputDtype ?? (spec.className === 'Embedding' ? 'int32' : 'float32');
  const layer = buildMapped(spec, info);
  const model = buildOrClean(
    () => [layer],
    `Keras ${info.kerasClassName} '${info.name}'`,
    () =>
      initializedIf(options.initializeWeights ?? true, () => {
        const input = tf.input({ batchShape: [...batchShape], dtype, name: `${info.name}_input` });
        const states = (options.initialStateShapes ?? []).map((shape, i) =>
          tf.input({ batchShape: [...shape], name: `${info.name}_initial_state_${i}` }),
        );
        const output = layer.apply(
          input,
          states.length === 0 ? undefined : { initialState: states },
        ) as tf.SymbolicTensor | tf.SymbolicTensor[];
        return tf.model({
          inputs: [input, ...states],
          outputs: output,
          name: `${info.name}_model`,
        });
      }),
  );
  return {
    model,
    layers: [{ name: info.name, kerasClassName: info.kerasClassName, layer }],
    inputDtypes: [dtype, ...(options.initialStateShapes ?? []).map(() => 'float32' as const)],
    dialect,
  };
}
