import * as tf from '@tensorflow/tfjs';
import type { JsonObject } from '../../src/keras/keras_json';
import { dialectOf } from '../../src/keras/keras_values';
import { inputFromKeras, kerasLayerSpec, layerFromKeras } from '../../src/keras/layer_from_keras';
import { Dense } from '../../src/layers/dense';
import { Dropout } from '../../src/layers/dropout';
import { Embedding } from '../../src/layers/embedding';
import { SimpleRNN } from '../../src/layers/rnn/simple_rnn';
import { StackedRNN } from '../../src/layers/rnn/stacked_rnn';
import { useTestBackend } from '../helpers/tensors';
import {
  dense,
  dropout,
  embedding,
  initializer,
  inputLayer,
  policy,
  rnn,
  simpleRnn,
  simpleRnnCell,
  simpleRnnCellConfig,
  stackedCells,
} from './samples';

beforeAll(async () => {
  await useTestBackend();
});

const LEGACY = dialectOf('2.15.0');

describe('snake_case Keras configs -> camelCase args', () => {
  it('maps SimpleRNN as Keras 3 writes it', () => {
    const { spec, info } = kerasLayerSpec(
      simpleRnn({
        units: 5,
        activation: 'relu',
        use_bias: false,
        return_sequences: true,
        return_state: true,
        go_backwards: true,
        dropout: 0.25,
        recurrent_dropout: 0.5,
      }),
    );
    expect(spec).toEqual({
      className: 'SimpleRNN',
      args: {
        name: 'simple_rnn',
        units: 5,
        activation: 'relu',
        useBias: false,
        returnSequences: true,
        returnState: true,
        goBackwards: true,
        zeroOutputForMask: false,
        stateful: false,
        kernelInitializer: 'glorot_uniform',
        recurrentInitializer: 'orthogonal',
        biasInitializer: 'zeros',
        dropout: 0.25,
        recurrentDropout: 0.5,
      },
    });
    expect(info).toEqual({
      kerasClassName: 'SimpleRNN',
      name: 'simple_rnn',
      declaredBatchShape: undefined,
      stochastic: true,
    });
  });

  it('maps Dense, Embedding and Dropout', () => {
    expect(kerasLayerSpec(dense({ units: 7, activation: null, use_bias: false })).spec).toEqual({
      className: 'Dense',
      args: {
        name: 'dense',
        units: 7,
        activation: 'linear',
        useBias: false,
        kernelInitializer: 'glorot_uniform',
        biasInitializer: 'zeros',
      },
    });
    expect(kerasLayerSpec(embedding({ input_dim: 26, output_dim: 8 })).spec).toEqual({
      className: 'Embedding',
      args: {
        name: 'embedding',
        inputDim: 26,
        outputDim: 8,
        embeddingsInitializer: 'random_uniform',
        maskZero: false,
      },
    });
    expect(kerasLayerSpec(dropout({ rate: 0.3, noise_shape: [null, 1, 4] })).spec).toEqual({
      className: 'Dropout',
      args: { name: 'dropout', rate: 0.3, noiseShape: [null, 1, 4] },
    });
  });

  it('maps stateful', () => {
    expect(kerasLayerSpec(simpleRnn({ stateful: true })).spec.args).toMatchObject({
      stateful: true,
    });
    const spec = kerasLayerSpec(rnn(stackedCells([simpleRnnCell()]), { stateful: true })).spec;
    expect(spec.args).toMatchObject({ stateful: true });
  });

  it('maps mask_zero, Masking and zero_output_for_mask', () => {
    const emb = kerasLayerSpec(embedding({ input_dim: 26, output_dim: 8, mask_zero: true }));
    expect(emb.spec.args).toMatchObject({ maskZero: true });
    const masking = {
      class_name: 'Masking',
      config: { name: 'masking', trainable: true, dtype: 'float32', mask_value: -1.0 },
    };
    expect(kerasLayerSpec(masking).spec).toEqual({
      className: 'Masking',
      args: { name: 'masking', maskValue: -1 },
    });
    expect(layerFromKeras(masking).getClassName()).toBe('Masking');
    const layer = kerasLayerSpec(simpleRnn({ zero_output_for_mask: true }));
    expect(layer.spec.args).toMatchObject({ zeroOutputForMask: true });
    expect(() =>
      kerasLayerSpec({ class_name: 'Masking', config: { name: 'm', mask_value: 'x' } }),
    ).toThrow(/Masking 'm'.*`mask_value`.*must be a number/);
  });

  it('maps RNN(SimpleRNNCell) to SimpleRNN', () => {
    const { spec, info } = kerasLayerSpec(
      rnn(simpleRnnCell({ units: 6, activation: 'sigmoid' }), { return_sequences: true }),
    );
    expect(spec.className).toBe('SimpleRNN');
    expect(spec.args).toMatchObject({
      name: 'rnn',
      units: 6,
      activation: 'sigmoid',
      returnSequences: true,
    });
    expect(info.kerasClassName).toBe('RNN');
  });

  it.each([
    ['a StackedRNNCells', (cells: JsonObject[]) => stackedCells(cells)],
    ['a list of cells', (cells: JsonObject[]) => cells],
  ])('maps RNN of %s to StackedRNN, cells in order', (_what, wrap) => {
    const { spec } = kerasLayerSpec(
      rnn(
        wrap([
          simpleRnnCell({ name: 'simple_rnn_cell', units: 4 }),
          simpleRnnCell({ name: 'simple_rnn_cell_1', units: 5, activation: 'relu' }),
        ]),
        { go_backwards: true },
      ),
    );
    expect(spec.className).toBe('StackedRNN');
    expect(spec.args).toMatchObject({
      name: 'rnn',
      goBackwards: true,
      cells: [
        {
          className: 'SimpleRNNCell',
          config: { name: 'simple_rnn_cell', units: 4, activation: 'tanh' },
        },
        {
          className: 'SimpleRNNCell',
          config: { name: 'simple_rnn_cell_1', units: 5, activation: 'relu' },
        },
      ],
    });
  });

  it('maps TimeDistributed(Dense) to Dense under the wrapper name', () => {
    const wrapped = {
      module: 'keras.layers',
      class_name: 'TimeDistributed',
      config: { name: 'time_distributed', trainable: true, dtype: policy(), layer: dense() },
      registered_name: null,
    };
    const { spec } = kerasLayerSpec(wrapped);
    expect(spec).toMatchObject({
      className: 'Dense',
      args: { name: 'time_distributed', units: 2 },
    });
  });

  it('builds our layer classes', () => {
    expect(layerFromKeras(simpleRnn())).toBeInstanceOf(SimpleRNN);
    expect(layerFromKeras(rnn(stackedCells([simpleRnnCell()])))).toBeInstanceOf(StackedRNN);
    expect(layerFromKeras(dense())).toBeInstanceOf(Dense);
    expect(layerFromKeras(embedding())).toBeInstanceOf(Embedding);
    expect(layerFromKeras(dropout())).toBeInstanceOf(Dropout);
  });

  it.each([
    ['a string', 'relu', 'relu'],
    ['null (linear)', null, 'linear'],
    [
      'a serialized function',
      {
        module: 'keras.activations',
        class_name: 'function',
        config: 'sigmoid',
        registered_name: 'sigmoid',
      },
      'sigmoid',
    ],
  ])('reads an activation given as %s', (_what, activation, expected) => {
    expect(kerasLayerSpec(dense({ activation })).spec.args).toMatchObject({
      activation: expected,
    });
  });
});

describe('initializers', () => {
  it.each([
    [initializer('GlorotUniform', { seed: 3 }), 'glorot_uniform'],
    [initializer('GlorotNormal', { seed: null }), 'glorot_normal'],
    [initializer('HeUniform', { seed: null }), 'he_uniform'],
    [initializer('Zeros'), 'zeros'],
    [initializer('Ones'), 'ones'],
    [initializer('Orthogonal', { gain: 1.0, seed: null }), 'orthogonal'],
    [initializer('RandomUniform', { minval: -0.05, maxval: 0.05, seed: null }), 'random_uniform'],
    [initializer('RandomNormal', { mean: 0, stddev: 0.05, seed: null }), 'random_normal'],
    [
      initializer('VarianceScaling', { scale: 1, mode: 'fan_avg', distribution: 'uniform' }),
      'glorot_uniform',
    ],
    [
      // Keras 2.2 wrote glorot_normal this way.
      initializer('VarianceScaling', { scale: 1, mode: 'fan_avg', distribution: 'normal' }),
      'glorot_normal',
    ],
    ['uniform', 'random_uniform'],
    ['glorot_uniform', 'glorot_uniform'],
  ])('%j -> %j', (kernelInitializer, expected) => {
    expect(
      kerasLayerSpec(dense({ kernel_initializer: kernelInitializer })).spec.args,
    ).toMatchObject({ kernelInitializer: expected });
  });

  it.each([
    [
      initializer('RandomUniform', { minval: -1, maxval: 2 }),
      'RandomUniform',
      { minval: -1, maxval: 2 },
    ],
    [initializer('Orthogonal', { gain: 2 }), 'Orthogonal', { gain: 2 }],
    [initializer('Constant', { value: 0.5 }), 'Constant', { value: 0.5 }],
    [
      initializer('VarianceScaling', { scale: 3, mode: 'fan_out', distribution: 'uniform' }),
      'VarianceScaling',
      { scale: 3, mode: 'fanOut', distribution: 'uniform' },
    ],
  ])('honours the parameters of %j', (kernelInitializer, className, config) => {
    const layer = layerFromKeras(dense({ kernel_initializer: kernelInitializer }));
    if (!(layer instanceof Dense)) throw new Error('expected a Dense');
    const init = layer.kernelInitializer;
    if (typeof init === 'string') throw new Error('expected an initializer instance');
    expect(init.getClassName()).toBe(className);
    expect(init.getConfig()).toMatchObject(config);
  });

  it('draws RandomUniform(-1, 2) weights in [-1, 2]', () => {
    const model = tf.sequential({
      layers: [
        layerFromKeras(
          dense({
            units: 50,
            kernel_initializer: initializer('RandomUniform', { minval: -1, maxval: 2 }),
            batch_input_shape: [null, 40],
          }),
        ),
      ],
    });
    const [min, max] = tf.tidy(() => {
      const kernel = model.getWeights()[0];
      return [kernel.min().dataSync()[0], kernel.max().dataSync()[0]];
    });
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeGreaterThan(1);
    model.dispose();
  });
});

describe('keys that do not change the math are ignored', () => {
  it.each([
    ['unroll', simpleRnn({ unroll: true })],
    ['seed', dropout({ seed: 42 })],
    ['trainable: false', dense({ trainable: false })],
    ['a plain float32 dtype string (Keras 2)', dense({ dtype: 'float32' })],
    [
      'a FloatDTypePolicy',
      dense({ dtype: { class_name: 'FloatDTypePolicy', config: { name: 'float32' } } }),
    ],
    ['build_config', simpleRnn({}, { build_config: { input_shape: [null, 4, 3] } })],
    ['Keras 2 time_major: false', simpleRnn({ time_major: false })],
    ['Keras 2 enable_caching_device', simpleRnn({ enable_caching_device: false })],
    ['an unknown key set to null', dense({ some_future_option: null })],
    ['an unknown key set to false', dense({ some_future_flag: false })],
  ])('%s', (_what, json) => {
    expect(() => layerFromKeras(json)).not.toThrow();
  });

  it('keeps trainable: false', () => {
    expect(layerFromKeras(dense({ trainable: false })).trainable).toBe(false);
  });
});

describe('refusals name the class and the key', () => {
  const cellWith = (overrides: JsonObject) =>
    rnn(
      stackedCells([simpleRnnCell(), simpleRnnCell({ name: 'simple_rnn_cell_1', ...overrides })]),
    );
  it.each<[string, unknown, RegExp]>([
    [
      'a ConvLSTM1D',
      { ...simpleRnn(), class_name: 'ConvLSTM1D' },
      /Keras class 'ConvLSTM1D' \(layer 'simple_rnn'\) is not supported\. Supported classes: InputLayer, SimpleRNN, LSTM, GRU/,
    ],
    [
      'a Bidirectional without its layer',
      { class_name: 'Bidirectional', config: { name: 'bidi' } },
      /Keras Bidirectional 'bidi': `layer` is required/,
    ],
    [
      'a Bidirectional around a Dense',
      { class_name: 'Bidirectional', config: { name: 'bidi', layer: dense() } },
      /Keras Bidirectional 'bidi': `layer` of class 'Dense' is not supported; Bidirectional wraps a recurrent layer/,
    ],
    [
      'a Bidirectional with an unknown merge_mode',
      {
        class_name: 'Bidirectional',
        config: { name: 'bidi', layer: simpleRnn(), merge_mode: 'max' },
      },
      /Keras Bidirectional 'bidi': `merge_mode` must be 'concat', 'sum', 'mul', 'ave' or null, received "max"/,
    ],
    [
      'time_major: true',
      simpleRnn({ time_major: true }),
      /SimpleRNN 'simple_rnn': `time_major: true`/,
    ],
    [
      'a mixed_float16 policy',
      dense({ dtype: policy('mixed_float16') }),
      /Keras Dense 'dense': `dtype` policy 'mixed_float16' \(DTypePolicy\) is not supported/,
    ],
    [
      'a float64 dtype',
      simpleRnn({ dtype: 'float64' }),
      /SimpleRNN 'simple_rnn': `dtype` policy "float64" is not supported/,
    ],
    [
      'a quantized policy',
      dense({
        dtype: { class_name: 'QuantizedDTypePolicy', config: { name: 'int8_from_float32' } },
      }),
      /`dtype` policy 'int8_from_float32' \(QuantizedDTypePolicy\)/,
    ],
    [
      'an unknown activation',
      simpleRnn({ activation: 'swishy' }),
      /SimpleRNN 'simple_rnn': `activation`: unknown or unsupported activation "swishy"\. Supported activations: linear, tanh/,
    ],
    [
      'a custom activation function',
      dense({
        activation: {
          module: '__main__',
          class_name: 'function',
          config: 'my_act',
          registered_name: 'my_act',
        },
      }),
      /Dense 'dense': `activation` must be a Keras activation; custom functions are not supported/,
    ],
    [
      'a kernel regularizer',
      simpleRnn({ kernel_regularizer: { class_name: 'L2', config: { l2: 0.01 } } }),
      /SimpleRNN 'simple_rnn': `kernel_regularizer: .*` is not supported \(regularizers add a penalty/,
    ],
    [
      'an activity regularizer',
      dense({ activity_regularizer: { class_name: 'L1', config: { l1: 0.01 } } }),
      /Dense 'dense': `activity_regularizer: /,
    ],
    [
      'a constraint',
      dense({ kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 2 } } }),
      /Dense 'dense': `kernel_constraint: .*` is not supported \(constraints change the weights/,
    ],
    [
      'quantization',
      dense({ quantization_config: { class_name: 'Int8QuantizationConfig', config: {} } }),
      /`quantization_config: /,
    ],
    [
      'LoRA',
      dense({ lora_rank: 4, lora_alpha: 4 }),
      /Dense 'dense': `lora_rank: 4` is not supported/,
    ],
    [
      'an unknown key with a value',
      dense({ fancy_new_option: 3 }),
      /Keras Dense 'dense': unknown config key `fancy_new_option: 3`/,
    ],
    [
      'units: 0',
      simpleRnn({ units: 0 }),
      /SimpleRNN 'simple_rnn': `units` must be a positive integer, received 0/,
    ],
    [
      'dropout: 1',
      simpleRnn({ dropout: 1 }),
      /SimpleRNN 'simple_rnn': `dropout` must be a number in \[0, 1\)/,
    ],
    [
      'Dropout rate 1.5',
      dropout({ rate: 1.5 }),
      /Dropout 'dropout': `rate` must be a number in \[0, 1\)/,
    ],
    [
      'an unknown initializer class',
      dense({ kernel_initializer: initializer('STFT', { seed: null }) }),
      /Dense 'dense': `kernel_initializer`: initializer class 'STFT' is not supported/,
    ],
    [
      'an untruncated normal VarianceScaling',
      dense({
        kernel_initializer: initializer('VarianceScaling', {
          scale: 2,
          mode: 'fan_in',
          distribution: 'untruncated_normal',
        }),
      }),
      /`kernel_initializer` VarianceScaling: `distribution` must be 'uniform' or 'truncated_normal'/,
    ],
    [
      'an initializer parameter it does not know',
      dense({ kernel_initializer: initializer('Orthogonal', { gain: 1, mystery: 2 }) }),
      /`kernel_initializer` Orthogonal: unknown config key `mystery: 2`/,
    ],
    [
      'an RNN of ConvLSTMCell',
      rnn({ class_name: 'ConvLSTMCell', config: { name: 'conv_lstm_cell', units: 3 } }),
      /Keras RNN 'rnn': `cell` of class 'ConvLSTMCell' is not supported/,
    ],
    [
      'a ConvLSTMCell inside StackedRNNCells',
      rnn(stackedCells([simpleRnnCell(), { class_name: 'ConvLSTMCell', config: { units: 2 } }])),
      /Keras RNN 'rnn': `cell` of class 'ConvLSTMCell' is not supported; cells here are 'SimpleRNNCell', 'LSTMCell', 'GRUCell'/,
    ],
    [
      'a stacked cell with a regularizer',
      cellWith({ recurrent_regularizer: { class_name: 'L2', config: { l2: 1 } } }),
      /RNN 'rnn': cell Keras SimpleRNNCell 'simple_rnn_cell_1': `recurrent_regularizer: /,
    ],
    [
      'a custom registered class',
      { ...dense(), registered_name: 'my_package>Dense' },
      /Dense is registered as 'my_package>Dense', a custom class/,
    ],
    [
      'a class from a custom module',
      { ...dense(), module: 'my_models.layers' },
      /Dense from module 'my_models\.layers' is a custom class/,
    ],
    [
      'a bare cell as a layer',
      simpleRnnCell(),
      /Keras SimpleRNNCell 'simple_rnn_cell': a cell runs inside a recurrent layer/,
    ],
    [
      'a nested model',
      { class_name: 'Sequential', config: { name: 'inner', layers: [] } },
      /Keras Sequential 'inner': a model nested inside another model is not supported/,
    ],
    ['not an object', 'Dense', /expected a Keras object/],
    ['no class_name', { config: {} }, /expected a string `class_name`/],
  ])('%s', (_what, value, message) => {
    expect(() => layerFromKeras(value)).toThrow(message);
  });

  it('refuses hard_sigmoid in Keras 2 JSON, where it is another formula', () => {
    expect(() =>
      layerFromKeras(dense({ activation: 'hard_sigmoid' }), { dialect: LEGACY }),
    ).toThrow(/Dense 'dense': `activation: "hard_sigmoid"` from Keras 2 JSON is not supported/);
  });

  it('accepts hard_sigmoid in Keras 3 JSON', () => {
    expect(kerasLayerSpec(dense({ activation: 'hard_sigmoid' })).spec.args).toMatchObject({
      activation: 'hard_sigmoid',
    });
  });

  it('names a cell-level key inside RNN(SimpleRNNCell)', () => {
    expect(() => layerFromKeras(rnn(simpleRnnCell({ units: -2 })))).toThrow(
      /Keras RNN 'rnn': cell Keras SimpleRNNCell 'simple_rnn_cell': `units` must be a positive integer, received -2/,
    );
  });
});

describe('InputLayer variants', () => {
  it.each<[string, JsonObject, (number | null)[], 'float32' | 'int32']>([
    ['Keras 3 batch_shape', inputLayer([null, 4, 3]), [null, 4, 3], 'float32'],
    [
      'Keras 2 batch_input_shape',
      {
        class_name: 'InputLayer',
        config: {
          batch_input_shape: [null, 60, 1],
          dtype: 'float32',
          sparse: false,
          ragged: false,
          name: 'input_1',
        },
      },
      [null, 60, 1],
      'float32',
    ],
    [
      'shape and batch_size',
      {
        class_name: 'InputLayer',
        config: { shape: [6], batch_size: 2, dtype: 'int32', name: 'ids' },
      },
      [2, 6],
      'int32',
    ],
    ['an int64 input', inputLayer([null, 6], { dtype: 'int64' }), [null, 6], 'int32'],
    ['a float64 input', inputLayer([null, 6, 1], { dtype: 'float64' }), [null, 6, 1], 'float32'],
    [
      'a dtype policy object',
      inputLayer([null, 3], { dtype: policy('float32') }),
      [null, 3],
      'float32',
    ],
  ])('%s', (_what, json, batchShape, dtype) => {
    expect(inputFromKeras(json)).toMatchObject({ batchShape, dtype });
  });

  it.each<[string, JsonObject, RegExp]>([
    [
      'sparse',
      inputLayer([null, 3], { sparse: true }),
      /InputLayer 'input_layer': `sparse: true` is not supported/,
    ],
    ['ragged', inputLayer([null, 3], { ragged: true }), /`ragged: true` is not supported/],
    [
      'a string input',
      inputLayer([null, 3], { dtype: 'string' }),
      /`dtype` must be an integer or float input dtype/,
    ],
    [
      'no shape',
      { class_name: 'InputLayer', config: { name: 'x', dtype: 'float32' } },
      /InputLayer 'x': expected `batch_shape` \(Keras 3\) or `batch_input_shape` \(Keras 2\)/,
    ],
    ['a bad shape', inputLayer([null, -1]), /expected a shape of non-negative integers and nulls/],
  ])('refuses %s', (_what, json, message) => {
    expect(() => inputFromKeras(json)).toThrow(message);
  });

  it('reads a cell config as SimpleRNN keys', () => {
    // The cell's keys (seed included) are accepted flat on a SimpleRNN too.
    expect(() =>
      layerFromKeras(simpleRnn({ ...simpleRnnCellConfig(), name: 'simple_rnn' })),
    ).not.toThrow();
  });
});
