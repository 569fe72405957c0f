/**
 * A built `Sequential` as a Keras 3 `.keras` file's config.json: the model's class, its input
 * (an `InputLayer`), every layer (layer_to_keras.ts), the build shapes, and when compiled the
 * `compile_config` (the optimizer's Keras config, the loss, the metrics), so that Python's
 * `keras.models.load_model` rebuilds and compiles the same model. The inverse of
 * sequential_from_keras.ts and keras_compile.ts.
 */
import type * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { Embedding } from '../layers/embedding';
import type { Sequential } from '../models/sequential';
import { isKerasOptimizer } from '../optimizers/optimizer';
import type { JsonObject, JsonValue } from './keras_json';
import { lossToKeras } from './keras_losses';
import { FLOAT32_POLICY, type JsonShape, kerasSerialized, layerToKeras } from './layer_to_keras';

function isShapeList(shape: tf.Shape | tf.Shape[]): shape is tf.Shape[] {
  return Array.isArray(shape[0]);
}

/** Each layer's input shape, with the batch axis: the model's, then each layer's output. */
function layerInputShapes(model: Sequential, inputShape: JsonShape): JsonShape[] {
  const shapes: JsonShape[] = [inputShape];
  for (const layer of model.layers.slice(0, -1)) {
    const output: tf.Shape | tf.Shape[] = layer.outputShape;
    const first = isShapeList(output) ? output[0] : output;
    shapes.push(first.map((d) => d ?? null));
  }
  return shapes;
}

/** `metrics` as Keras names (a camelCase name in snake_case); functions are refused. */
function metricsToKeras(subject: string, metrics: readonly unknown[]): JsonValue {
  if (metrics.length === 0) return null;
  return metrics.map((metric) => {
    if (typeof metric !== 'string') {
      const name = typeof metric === 'function' ? metric.name || 'anonymous' : String(metric);
      throw new ValueError(
        `${subject}: the metric '${name}' is a function, which a .keras file cannot hold for Keras to read back; compile with metric names ('accuracy', 'mae', ...), or save the weights alone with saveWeights().`,
      );
    }
    return metric.replace(/([A-Z])/g, (m) => `_${m.toLowerCase()}`);
  });
}

/** `compile_config`: `{}` for a model not compiled, as Keras writes it. */
function compileConfig(subject: string, model: Sequential): JsonObject {
  const state = model.compileState;
  if (state === null) return {};
  const optimizer = state.optimizer;
  if (!isKerasOptimizer(optimizer)) {
    throw new ValueError(
      `${subject}: the model's optimizer (${optimizer.getClassName()}) is not one of this package's Keras optimizers, which Keras can rebuild; compile with a name such as 'adam' or { name: 'adam', learningRate }.`,
    );
  }
  return {
    optimizer: kerasSerialized('keras.optimizers', state.optimizerClass, optimizer.kerasConfig()),
    loss: lossToKeras(subject, state.lossSpec, state.loss.kerasName),
    loss_weights: null,
    metrics: metricsToKeras(subject, state.metrics),
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}

/** config.json of a `.keras` file for the built `model`. */
export function modelToKeras(subject: string, model: Sequential): JsonObject {
  const inputShape = model.inputShape;
  if (inputShape === null) {
    throw new ValueError(
      `${subject}: the model '${model.name}' is not built yet; give the first layer an inputShape, call build([null, ...]), or fit it first.`,
    );
  }
  const layers = model.layers;
  const shapes = layerInputShapes(model, inputShape);
  const input = kerasSerialized('keras.layers', 'InputLayer', {
    batch_shape: inputShape,
    // Keras's Embedding takes integer ids; this package's casts float ones the same way.
    dtype: layers[0] instanceof Embedding ? 'int32' : 'float32',
    sparse: false,
    ragged: false,
    name: `${layers[0]?.name ?? model.name}_input`,
    optional: false,
  });
  return {
    ...kerasSerialized(
      'keras',
      'Sequential',
      {
        name: model.name,
        trainable: true,
        dtype: FLOAT32_POLICY,
        layers: [input, ...layers.map((layer, i) => layerToKeras(subject, layer, shapes[i]))],
        build_input_shape: inputShape,
      },
      inputShape,
    ),
    compile_config: compileConfig(subject, model),
  };
}
