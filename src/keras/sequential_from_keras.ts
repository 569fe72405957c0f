/**
 * A Keras `Sequential` (Keras 3 and Keras 2) -> a `tf.Sequential` of this package's layers. The
 * input comes from the `InputLayer`, else from the first layer's `batch_input_shape` /
 * `batch_shape` / `input_shape`, the model's `build_input_shape`, or the `build_config`s.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ConfigReader,
  type JsonObject,
  type JsonValue,
  KerasJsonError,
  errorMessage,
  isJsonArray,
  isJsonObject,
  kerasObject,
} from './keras_json';
import { type KerasModel, type KerasModelLayer, buildMapped, buildOrClean } from './keras_model';
import { type KerasDialect, checkFloat32Policy, readShape } from './keras_values';
import {
  type KerasInputSpec,
  type KerasLayerInfo,
  inputFromKeras,
  kerasLayerSpec,
} from './layer_from_keras';

export function sequentialFromKeras(
  raw: JsonObject,
  config: JsonObject,
  dialect: KerasDialect,
): KerasModel {
  const reader = new ConfigReader(
    `Keras Sequential${typeof config.name === 'string' ? ` '${config.name}'` : ''}`,
    config,
  );
  const name = reader.optionalString('name');
  const trainable = reader.boolean('trainable', true);
  checkFloat32Policy(reader);
  const layerValues = reader.get('layers');
  if (!isJsonArray(layerValues) || layerValues.length === 0) {
    throw reader.error('layers', 'must be a non-empty list of layers');
  }
  const buildInputShape = reader.get('build_input_shape');
  reader.finish();

  let input: KerasInputSpec | undefined;
  const mapped: { info: KerasLayerInfo; spec: ReturnType<typeof kerasLayerSpec>['spec'] }[] = [];
  layerValues.forEach((value, i) => {
    const where = `Keras Sequential: layers[${i}]`;
    const object = kerasObject(where, value);
    if (object.className === 'InputLayer') {
      if (i !== 0) {
        throw new KerasJsonError(
          `${where}: an InputLayer may only be the first layer of a Sequential.`,
        );
      }
      input = inputFromKeras(value, { dialect, where });
      return;
    }
    mapped.push(kerasLayerSpec(value, { dialect, where }));
  });
  const first = mapped.at(0);
  if (first === undefined) {
    throw new KerasJsonError(`${reader.subject}: has an input but no layers.`);
  }
  if (input === undefined) {
    const shape =
      first.info.declaredBatchShape ??
      optionalShape(`${reader.subject}: \`build_input_shape\``, buildInputShape) ??
      buildConfigShape(raw, `${reader.subject}: \`build_config\``) ??
      buildConfigShape(
        firstLayerObject(layerValues),
        `${reader.subject}: layers[0] \`build_config\``,
      );
    if (shape === undefined) {
      throw new KerasJsonError(
        `${reader.subject}: no input shape: expected an InputLayer, a first layer with \`batch_input_shape\`, or a \`build_input_shape\`.`,
      );
    }
    input = {
      name: `${first.info.name}_input`,
      batchShape: shape,
      dtype: first.spec.className === 'Embedding' ? 'int32' : 'float32',
    };
  }
  const inputSpec = input;
  const layers: KerasModelLayer[] = [];
  const model = buildOrClean(
    () => layers.map((l) => l.layer),
    reader.subject,
    () => {
      const sequential = tf.sequential(name === undefined ? {} : { name });
      sequential.add(
        tf.layers.inputLayer({
          batchInputShape: inputSpec.batchShape,
          dtype: inputSpec.dtype,
          name: inputSpec.name,
        }),
      );
      for (const { spec, info } of mapped) {
        const layer = buildMapped(spec, info);
        layers.push({ name: info.name, kerasClassName: info.kerasClassName, layer });
        try {
          sequential.add(layer);
        } catch (err) {
          // The layer's own messages already name it: `LSTM 'lstm': ...`.
          const message = errorMessage(err);
          const named = message.startsWith(`${layer.getClassName()} '${layer.name}'`);
          const subject = named ? '' : `${info.kerasClassName} '${info.name}': `;
          throw new KerasJsonError(`${reader.subject}: ${subject}${message}`);
        }
      }
      return sequential;
    },
  );
  if (!trainable) model.trainable = false;
  return { model, layers, inputDtypes: [inputSpec.dtype], dialect };
}

function firstLayerObject(layers: readonly JsonValue[]): JsonValue | undefined {
  return layers[0];
}

function optionalShape(where: string, value: JsonValue | undefined): (number | null)[] | undefined {
  return value === undefined || value === null ? undefined : readShape(where, value);
}

/** `build_config.input_shape`, which Keras 3 writes on built layers and models. */
function buildConfigShape(
  value: JsonValue | undefined,
  where: string,
): (number | null)[] | undefined {
  if (!isJsonObject(value) || !isJsonObject(value.build_config)) return undefined;
  return optionalShape(where, value.build_config.input_shape);
}
