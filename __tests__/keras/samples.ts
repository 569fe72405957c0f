/**
 * Minimal Keras JSON documents, written out as Keras 3.15 writes them (`model.to_json()`,
 * `layer.get_config()`), and their Keras 2 counterparts. Hand-made, for the mapping tests.
 */
import type { JsonObject, JsonValue } from '../../src/keras/keras_json';

/** `{"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...}}` */
export function policy(name = 'float32'): JsonObject {
  return { module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null };
}

export function initializer(className: string, config: JsonObject = {}): JsonObject {
  return { module: 'keras.initializers', class_name: className, config, registered_name: null };
}

const glorot = (): JsonObject =>
  initializer('GlorotUniform', { seed: null, input_axes: null, output_axes: null });
const orthogonal = (): JsonObject => initializer('Orthogonal', { seed: null, gain: 1.0 });
const zeros = (): JsonObject => initializer('Zeros');

function layer(className: string, config: JsonObject, extra: JsonObject = {}): JsonObject {
  return { module: 'keras.layers', class_name: className, config, registered_name: null, ...extra };
}

/** SimpleRNNCell's config keys as Keras 3 writes them. */
export function simpleRnnCellConfig(overrides: JsonObject = {}): JsonObject {
  return {
    name: 'simple_rnn_cell',
    trainable: true,
    dtype: policy(),
    units: 4,
    activation: 'tanh',
    use_bias: true,
    kernel_initializer: glorot(),
    recurrent_initializer: orthogonal(),
    bias_initializer: zeros(),
    kernel_regularizer: null,
    recurrent_regularizer: null,
    bias_regularizer: null,
    kernel_constraint: null,
    recurrent_constraint: null,
    bias_constraint: null,
    dropout: 0.0,
    recurrent_dropout: 0.0,
    seed: null,
    ...overrides,
  };
}

const RNN_BASE: JsonObject = {
  return_sequences: false,
  return_state: false,
  go_backwards: false,
  stateful: false,
  unroll: false,
  zero_output_for_mask: false,
};

/** `keras.layers.SimpleRNN(...)`: the cell's keys flat, no `seed`. */
export function simpleRnn(overrides: JsonObject = {}, extra: JsonObject = {}): JsonObject {
  const { seed: _seed, name: _name, ...cell } = simpleRnnCellConfig();
  return layer(
    'SimpleRNN',
    {
      name: 'simple_rnn',
      trainable: true,
      dtype: policy(),
      ...RNN_BASE,
      ...cell,
      activity_regularizer: null,
      ...overrides,
    },
    extra,
  );
}

export function simpleRnnCell(overrides: JsonObject = {}): JsonObject {
  return layer('SimpleRNNCell', simpleRnnCellConfig(overrides), {
    build_config: { input_shape: [null, 3] },
  });
}

/** `keras.layers.RNN(cell)`: a cell object, a StackedRNNCells, or a list. */
export function rnn(cell: JsonValue, overrides: JsonObject = {}): JsonObject {
  return layer('RNN', {
    name: 'rnn',
    trainable: true,
    dtype: policy(),
    ...RNN_BASE,
    cell,
    ...overrides,
  });
}

export function stackedCells(cells: JsonValue[]): JsonObject {
  return layer('StackedRNNCells', {
    name: 'stacked_rnn_cells',
    trainable: true,
    dtype: policy(),
    cells,
  });
}

export function dense(overrides: JsonObject = {}, extra: JsonObject = {}): JsonObject {
  return layer(
    'Dense',
    {
      name: 'dense',
      trainable: true,
      dtype: policy(),
      units: 2,
      activation: 'softmax',
      use_bias: true,
      kernel_initializer: glorot(),
      bias_initializer: zeros(),
      kernel_regularizer: null,
      bias_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
      quantization_config: null,
      ...overrides,
    },
    extra,
  );
}

export function embedding(overrides: JsonObject = {}): JsonObject {
  return layer('Embedding', {
    name: 'embedding',
    trainable: true,
    dtype: policy(),
    input_dim: 10,
    output_dim: 3,
    embeddings_initializer: initializer('RandomUniform', {
      seed: null,
      minval: -0.05,
      maxval: 0.05,
    }),
    embeddings_regularizer: null,
    activity_regularizer: null,
    embeddings_constraint: null,
    mask_zero: false,
    quantization_config: null,
    ...overrides,
  });
}

export function dropout(overrides: JsonObject = {}, extra: JsonObject = {}): JsonObject {
  return layer(
    'Dropout',
    {
      name: 'dropout',
      trainable: true,
      dtype: policy(),
      rate: 0.2,
      seed: null,
      noise_shape: null,
      ...overrides,
    },
    extra,
  );
}

export function inputLayer(batchShape: (number | null)[], overrides: JsonObject = {}): JsonObject {
  return layer('InputLayer', {
    batch_shape: batchShape,
    dtype: 'float32',
    sparse: false,
    ragged: false,
    name: 'input_layer',
    optional: false,
    ...overrides,
  });
}

/** `keras.Sequential([...]).to_json()` in Keras 3. */
export function sequential(layers: JsonValue[], overrides: JsonObject = {}): JsonObject {
  return {
    module: 'keras',
    class_name: 'Sequential',
    config: { name: 'sequential', trainable: true, dtype: policy(), layers, ...overrides },
    registered_name: null,
    build_config: { input_shape: null },
    compile_config: null,
  };
}

/** A Keras 3 `__keras_tensor__` reference to output `tensor` of call `node` of `layerName`. */
export function kerasTensor(
  layerName: string,
  shape: (number | null)[],
  node = 0,
  tensor = 0,
): JsonObject {
  return {
    class_name: '__keras_tensor__',
    config: { shape, dtype: 'float32', keras_history: [layerName, node, tensor] },
  };
}

/** A Keras 3 inbound node: `{args: [tensor], kwargs}`. */
export function node(input: JsonValue, kwargs: JsonObject = {}): JsonObject {
  return { args: [input], kwargs };
}

/** A layer entry of a Functional config: the layer plus its `name` and `inbound_nodes`. */
export function functionalLayer(object: JsonObject, inbound: JsonValue[]): JsonObject {
  const config = object.config as JsonObject;
  return { ...object, name: config.name ?? null, inbound_nodes: inbound };
}

/** `keras.Model(inputs, outputs).to_json()` in Keras 3. */
export function functional(
  layers: JsonValue[],
  inputLayers: JsonValue,
  outputLayers: JsonValue,
): JsonObject {
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'functional',
      trainable: true,
      layers,
      input_layers: inputLayers,
      output_layers: outputLayers,
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
    compile_config: {},
  };
}
