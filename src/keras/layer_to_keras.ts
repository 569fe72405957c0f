/**
 * This package's layers as Keras 3 writes them in a `.keras` file's config.json: the inverse of
 * layer_from_keras.ts. Each class gets the keys Keras 3.15 writes for it (the options this
 * package does not have at Keras's inert values: no regularizers, no constraints, `unroll`
 * false), so that Keras's `from_config` rebuilds the same layer, and each built layer its
 * `build_config`, as Keras writes them (checked against files Keras wrote:
 * __tests__/fixtures/keras_files/).
 *
 * | here                  | Keras                                                     |
 * |-----------------------|-----------------------------------------------------------|
 * | `SimpleRNN`, `LSTM`, `GRU` | the same class                                       |
 * | `StackedRNN`          | `RNN` of its cell, or of `StackedRNNCells` of its cells    |
 * | `Dense`, `Embedding`, `Dropout`, `Masking`, `Bidirectional` | the same class      |
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors';
import { Dense } from '../layers/dense';
import { Dropout } from '../layers/dropout';
import { Embedding } from '../layers/embedding';
import type { Initializer } from '../layers/initializers';
import { Masking } from '../layers/masking';
import { Bidirectional } from '../layers/rnn/bidirectional';
import { RecurrentCellBase } from '../layers/rnn/cell';
import { GRUCell } from '../layers/rnn/gru';
import { LSTMCell } from '../layers/rnn/lstm';
import { RNN } from '../layers/rnn/rnn';
import { SingleCellRNN } from '../layers/rnn/single_cell_rnn';
import { StackedRNN } from '../layers/rnn/stacked_rnn';
import { initializerToKeras } from './initializer_to_keras';
import type { JsonObject, JsonValue } from './keras_json';

/** Keras's float32 dtype policy, as every layer's `dtype`. */
export const FLOAT32_POLICY: JsonObject = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
};

/** A shape with its batch axis, as JSON (null for an unknown size). */
export type JsonShape = (number | null)[];

/** A serialized Keras object: `{module, class_name, config, registered_name[, build_config]}`. */
export function kerasSerialized(
  module: string,
  className: string,
  config: JsonObject,
  buildShape?: JsonShape,
): JsonObject {
  const object: { [key: string]: JsonValue } = {
    module,
    class_name: className,
    config,
    registered_name: null,
  };
  if (buildShape !== undefined) object.build_config = { input_shape: buildShape };
  return object;
}

/** The keys every layer starts with: name, trainable, dtype. */
function baseConfig(layer: tf.layers.Layer): { [key: string]: JsonValue } {
  return { name: layer.name, trainable: layer.trainable, dtype: FLOAT32_POLICY };
}

const NO_REGULARIZERS = {
  kernel_regularizer: null,
  recurrent_regularizer: null,
  bias_regularizer: null,
};
const NO_CONSTRAINTS = {
  kernel_constraint: null,
  recurrent_constraint: null,
  bias_constraint: null,
};

/** A cell's own options (Keras's cell config without name, trainable and dtype). */
function cellOptions(subject: string, cell: RecurrentCellBase): { [key: string]: JsonValue } {
  const init = (key: string, spec: string | Initializer): JsonObject =>
    initializerToKeras(`${subject}: cell '${cell.name}'`, key, spec);
  const gated = cell instanceof LSTMCell || cell instanceof GRUCell;
  return {
    units: cell.units,
    activation: cell.activation,
    ...(gated ? { recurrent_activation: cell.recurrentActivation } : {}),
    use_bias: cell.useBias,
    ...(cell instanceof LSTMCell ? { unit_forget_bias: cell.unitForgetBias } : {}),
    kernel_initializer: init('kernelInitializer', cell.kernelInitializer),
    recurrent_initializer: init('recurrentInitializer', cell.recurrentInitializer),
    bias_initializer: init('biasInitializer', cell.biasInitializer),
    ...NO_REGULARIZERS,
    ...NO_CONSTRAINTS,
    dropout: cell.dropout,
    recurrent_dropout: cell.recurrentDropout,
    ...(cell instanceof GRUCell ? { reset_after: cell.resetAfter } : {}),
    seed: null,
  };
}

/** A cell as its own Keras object (inside `RNN` or `StackedRNNCells`). */
function cellToKeras(subject: string, cell: unknown, features: number | null): JsonObject {
  if (!(cell instanceof RecurrentCellBase)) {
    throw new ValueError(`${subject}: a recurrent cell of another class than this package's.`);
  }
  return kerasSerialized(
    'keras.layers',
    cell.getClassName(),
    { ...baseConfig(cell), ...cellOptions(subject, cell) },
    [null, features],
  );
}

/** The time-axis keys of every recurrent layer. */
function recurrentOptions(rnn: RNN): { [key: string]: JsonValue } {
  return {
    return_sequences: rnn.returnSequences,
    return_state: rnn.returnState,
    go_backwards: rnn.goBackwards,
    stateful: rnn.stateful,
    unroll: false,
    zero_output_for_mask: rnn.zeroOutputForMask,
  };
}

/** A recurrent layer over [batch, steps, features] inputs of `inputShape`. */
function recurrentToKeras(subject: string, rnn: RNN, inputShape: JsonShape): JsonObject {
  const first = rnn.cells[0];
  if (rnn instanceof SingleCellRNN && first instanceof RecurrentCellBase) {
    const { units, activation, seed, ...rest } = cellOptions(subject, first);
    // Keras's flat layer config: the cell's options, with the layer's activity regularizer
    // (and a seed, but not on SimpleRNN, as Keras 3.15 writes them).
    const { kernel_constraint: kc, recurrent_constraint: rc, bias_constraint: bc, ...tail } = rest;
    return kerasSerialized(
      'keras.layers',
      rnn.getClassName(),
      {
        ...baseConfig(rnn),
        ...recurrentOptions(rnn),
        units,
        activation,
        ...tail,
        activity_regularizer: null,
        kernel_constraint: kc,
        recurrent_constraint: rc,
        bias_constraint: bc,
        ...(rnn.getClassName() === 'SimpleRNN' ? {} : { seed }),
      },
      inputShape,
    );
  }
  if (!(rnn instanceof StackedRNN)) {
    throw new ValueError(
      `${subject}: the recurrent layer '${rnn.name}' (${rnn.getClassName()}) has no Keras form here.`,
    );
  }
  const features = inputShape.at(-1) ?? null;
  const cells = rnn.cells.map((cell, i) =>
    cellToKeras(subject, cell, i === 0 ? features : (rnn.cells[i - 1]?.units ?? null)),
  );
  const cell =
    cells.length === 1
      ? cells[0]
      : kerasSerialized(
          'keras.layers',
          'StackedRNNCells',
          { name: 'stacked_rnn_cells', trainable: rnn.trainable, dtype: FLOAT32_POLICY, cells },
          [null, features],
        );
  return kerasSerialized(
    'keras.layers',
    'RNN',
    { ...baseConfig(rnn), ...recurrentOptions(rnn), cell },
    inputShape,
  );
}

/**
 * `layer` as Keras 3 writes it in a Sequential's `layers`, for inputs of `inputShape` (with the
 * batch axis). Throws, naming the layer, for a class or option Keras's file cannot hold.
 */
export function layerToKeras(
  subject: string,
  layer: tf.layers.Layer,
  inputShape: JsonShape,
): JsonObject {
  const init = (key: string, spec: string | Initializer): JsonObject =>
    initializerToKeras(`${subject}: layer '${layer.name}'`, key, spec);
  if (layer instanceof Dense) {
    return kerasSerialized(
      'keras.layers',
      'Dense',
      {
        ...baseConfig(layer),
        units: layer.units,
        activation: layer.activation,
        use_bias: layer.useBias,
        kernel_initializer: init('kernelInitializer', layer.kernelInitializer),
        bias_initializer: init('biasInitializer', layer.biasInitializer),
        kernel_regularizer: null,
        bias_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
        quantization_config: null,
      },
      inputShape,
    );
  }
  if (layer instanceof Embedding) {
    return kerasSerialized(
      'keras.layers',
      'Embedding',
      {
        ...baseConfig(layer),
        input_dim: layer.inputDim,
        output_dim: layer.outputDim,
        embeddings_initializer: init('embeddingsInitializer', layer.embeddingsInitializer),
        embeddings_regularizer: null,
        activity_regularizer: null,
        embeddings_constraint: null,
        mask_zero: layer.maskZero,
        quantization_config: null,
      },
      inputShape,
    );
  }
  if (layer instanceof Dropout) {
    return kerasSerialized('keras.layers', 'Dropout', {
      ...baseConfig(layer),
      rate: layer.rate,
      seed: layer.seed ?? null,
      noise_shape: layer.noiseShape ?? null,
    });
  }
  if (layer instanceof Masking) {
    return kerasSerialized('keras.layers', 'Masking', {
      ...baseConfig(layer),
      mask_value: layer.maskValue,
    });
  }
  if (layer instanceof Bidirectional) {
    return kerasSerialized(
      'keras.layers',
      'Bidirectional',
      {
        ...baseConfig(layer),
        merge_mode: layer.mergeMode,
        layer: recurrentToKeras(subject, layer.forwardLayer, inputShape),
        backward_layer: recurrentToKeras(subject, layer.backwardLayer, inputShape),
      },
      inputShape,
    );
  }
  if (layer instanceof RNN) return recurrentToKeras(subject, layer, inputShape);
  throw new ValueError(
    `${subject}: the layer '${layer.name}' of class ${layer.getClassName()} has no Keras form here; a .keras file holds this package's layers (SimpleRNN, LSTM, GRU, StackedRNN, Bidirectional, Dense, Embedding, Dropout, Masking).`,
  );
}
