import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readFixtureFile } from '../../src/keras/fixture';
import type { JsonObject, JsonValue } from '../../src/keras/keras_json';
import { kerasWeightOrder, loadKerasWeights } from '../../src/keras/keras_weights';
import {
  type KerasModel,
  modelFromKeras,
  modelFromKerasLayer,
} from '../../src/keras/model_from_keras';
import { SimpleRNN } from '../../src/layers/rnn/simple_rnn';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import {
  dense,
  dropout,
  embedding,
  functional,
  functionalLayer,
  inputLayer,
  kerasTensor,
  node,
  rnn,
  sequential,
  simpleRnn,
  simpleRnnCell,
  stackedCells,
} from './samples';

beforeAll(async () => {
  await useTestBackend();
});

const FIXTURES = join(__dirname, '..', 'fixtures', 'keras');

/** One-unit SimpleRNN then a linear Dense, by hand: h_t = tanh(w x_t + u h_{t-1} + b). */
function referenceOutputs(xs: number[][], w: number, u: number, b: number, k: number, c: number) {
  return xs.map((sequence) => {
    let h = 0;
    for (const x of sequence) h = Math.tanh(w * x + u * h + b);
    return [k * h + c];
  });
}

const W = { w: 0.7, u: -0.4, b: 0.1, k: 1.5, c: -0.2 };
const tinyWeights = [
  { name: 'simple_rnn/simple_rnn_cell/kernel', shape: [1, 1], data: [W.w] },
  { name: 'simple_rnn/simple_rnn_cell/recurrent_kernel', shape: [1, 1], data: [W.u] },
  { name: 'simple_rnn/simple_rnn_cell/bias', shape: [1], data: [W.b] },
  { name: 'dense/kernel', shape: [1, 1], data: [W.k] },
  { name: 'dense/bias', shape: [1], data: [W.c] },
];
const xs = [
  [0.5, -1, 2],
  [1, 1, 1],
];

/** Predicts `xs` ([2, 3] sequences of one feature) and disposes everything. */
function predictTiny(built: KerasModel): number[][] {
  return tf.tidy(() => {
    const y = built.model.predict(tf.tensor3d(xs.map((s) => s.map((v) => [v])))) as tf.Tensor;
    return y.arraySync() as number[][];
  });
}

function checkTiny(json: unknown): void {
  const built = modelFromKeras(json);
  try {
    loadKerasWeights(built, tinyWeights);
    const expected = referenceOutputs(xs, W.w, W.u, W.b, W.k, W.c);
    expect(predictTiny(built)).toBeAllClose(expected, 1e-6);
  } finally {
    built.model.dispose();
  }
}

const tinyRnn = () => simpleRnn({ units: 1 });
const tinyDense = () => dense({ units: 1, activation: 'linear' });

describe('Sequential', () => {
  it('rebuilds a Keras 3 Sequential (InputLayer with batch_shape) and computes its numbers', () => {
    checkTiny(sequential([inputLayer([null, 3, 1]), tinyRnn(), tinyDense()]));
  });

  it('reads the JSON as text too', () => {
    checkTiny(JSON.stringify(sequential([inputLayer([null, 3, 1]), tinyRnn(), tinyDense()])));
  });

  it('rebuilds Keras 2 JSON: batch_input_shape on the first layer, plain dtypes, no module', () => {
    const keras2 = {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          {
            class_name: 'SimpleRNN',
            config: {
              name: 'simple_rnn',
              trainable: true,
              batch_input_shape: [null, 3, 1],
              dtype: 'float32',
              return_sequences: false,
              return_state: false,
              go_backwards: false,
              stateful: false,
              unroll: false,
              time_major: false,
              units: 1,
              activation: 'tanh',
              use_bias: true,
              kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
              recurrent_initializer: {
                class_name: 'Orthogonal',
                config: { gain: 1.0, seed: null },
              },
              bias_initializer: { class_name: 'Zeros', config: {} },
              kernel_regularizer: null,
              recurrent_regularizer: null,
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: null,
              recurrent_constraint: null,
              bias_constraint: null,
              dropout: 0.0,
              recurrent_dropout: 0.0,
            },
          },
          {
            class_name: 'Dense',
            config: {
              name: 'dense',
              trainable: true,
              dtype: 'float32',
              units: 1,
              activation: 'linear',
              use_bias: true,
              kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
              bias_initializer: { class_name: 'Zeros', config: {} },
              kernel_regularizer: null,
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: null,
              bias_constraint: null,
            },
          },
        ],
      },
      keras_version: '2.15.0',
      backend: 'tensorflow',
    };
    checkTiny(keras2);
    expect(modelFromKeras(keras2).dialect.legacy).toBe(true);
  });

  it('rebuilds a Keras 2 InputLayer with batch_input_shape', () => {
    checkTiny({
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          {
            class_name: 'InputLayer',
            config: {
              batch_input_shape: [null, 3, 1],
              dtype: 'float32',
              sparse: false,
              name: 'input_1',
            },
          },
          tinyRnn(),
          tinyDense(),
        ],
      },
      keras_version: '2.12.0',
    });
  });

  it("rebuilds Keras 2.2's bare list of layers", () => {
    checkTiny({
      class_name: 'Sequential',
      config: [simpleRnn({ units: 1, batch_input_shape: [null, 3, 1] }), tinyDense()],
    });
  });

  it.each<[string, JsonObject]>([
    [
      'build_input_shape',
      sequential([tinyRnn(), tinyDense()], { build_input_shape: [null, 3, 1] }),
    ],
    [
      "the model's build_config",
      { ...sequential([tinyRnn(), tinyDense()]), build_config: { input_shape: [null, 3, 1] } },
    ],
    [
      "the first layer's build_config",
      sequential([
        simpleRnn({ units: 1 }, { build_config: { input_shape: [null, 3, 1] } }),
        tinyDense(),
      ]),
    ],
  ])('finds the input shape without an InputLayer in %s', (_where, json) => {
    checkTiny(json);
  });

  it('unwraps a tfjs model.json modelTopology', () => {
    checkTiny({
      modelTopology: {
        class_name: 'Sequential',
        config: { name: 's', layers: [inputLayer([null, 3, 1]), tinyRnn(), tinyDense()] },
        keras_version: 'tfjs-layers 4.22.0',
      },
      weightsManifest: [],
    });
  });

  it('reads model.get_config() without its class_name wrapper', () => {
    const config = sequential([inputLayer([null, 3, 1]), tinyRnn(), tinyDense()]).config;
    checkTiny(config);
    const graph = functional(
      [
        functionalLayer(inputLayer([null, 3, 1], { name: 'x' }), []),
        functionalLayer(tinyRnn(), [node(kerasTensor('x', [null, 3, 1]))]),
        functionalLayer(tinyDense(), [node(kerasTensor('simple_rnn', [null, 1]))]),
      ],
      ['x', 0, 0],
      ['dense', 0, 0],
    );
    checkTiny(graph.config);
  });

  it('accepts the tf_keras module names of Keras 2', () => {
    checkTiny(
      sequential([
        { ...inputLayer([null, 3, 1]), module: 'tf_keras.layers' },
        { ...tinyRnn(), module: 'tf_keras.src.layers.rnn.simple_rnn' },
        tinyDense(),
      ]),
    );
  });

  it('refuses text that is not JSON', () => {
    expect(() => modelFromKeras('{"class_name": ')).toThrow(/Keras model: not valid JSON/);
  });

  it('keeps the layer order, classes and names', () => {
    const built = modelFromKeras(
      sequential([
        inputLayer([null, 6], { dtype: 'int32' }),
        embedding(),
        rnn(
          stackedCells([simpleRnnCell(), simpleRnnCell({ name: 'simple_rnn_cell_1', units: 5 })]),
          {
            return_sequences: true,
          },
        ),
        dropout(),
        dense(),
      ]),
    );
    expect(built.layers.map((l) => `${l.kerasClassName}:${l.name}`)).toEqual([
      'Embedding:embedding',
      'RNN:rnn',
      'Dropout:dropout',
      'Dense:dense',
    ]);
    expect(built.inputDtypes).toEqual(['int32']);
    expect(built.model.outputs[0]?.shape).toEqual([null, 6, 2]);
    expect(kerasWeightOrder(built).map((s) => s.variable.shape)).toEqual([
      [10, 3],
      [3, 4],
      [4, 4],
      [4],
      [4, 5],
      [5, 5],
      [5],
      [5, 2],
      [2],
    ]);
    built.model.dispose();
  });

  it.each<[string, unknown, RegExp]>([
    [
      'no input shape anywhere',
      sequential([tinyRnn()]),
      /Keras Sequential 'sequential': no input shape/,
    ],
    [
      'no layers',
      sequential([]),
      /Keras Sequential 'sequential': `layers` must be a non-empty list/,
    ],
    [
      'an InputLayer in the middle',
      sequential([inputLayer([null, 3, 1]), tinyRnn(), inputLayer([null, 1])]),
      /layers\[2\]: an InputLayer may only be the first layer/,
    ],
    [
      'an unsupported layer',
      sequential([inputLayer([null, 3, 1]), { ...tinyRnn(), class_name: 'ConvLSTM1D' }]),
      /Keras Sequential: layers\[1\]: Keras class 'ConvLSTM1D' \(layer 'simple_rnn'\) is not supported/,
    ],
    [
      'a recurrent layer after one without return_sequences',
      sequential([inputLayer([null, 3, 1]), tinyRnn(), simpleRnn({ name: 'simple_rnn_1' })]),
      /Keras Sequential 'sequential': SimpleRNN 'simple_rnn_1': .*rank 3/,
    ],
    [
      'a mixed precision model policy',
      sequential([inputLayer([null, 3, 1]), tinyRnn()], {
        dtype: { class_name: 'DTypePolicy', config: { name: 'mixed_bfloat16' } },
      }),
      /Keras Sequential 'sequential': `dtype` policy 'mixed_bfloat16'/,
    ],
    ['not a model', dense(), /class 'Dense' is not a model this package rebuilds/],
  ])('refuses %s', (_what, json, message) => {
    expect(() => modelFromKeras(json)).toThrow(message);
  });

  it('leaves no tensors behind when the build fails half way', async () => {
    await expectNoLeak(() => {
      expect(() =>
        modelFromKeras(
          sequential([
            inputLayer([null, 3, 1]),
            simpleRnn({ units: 8 }),
            dense({ units: 4 }),
            simpleRnn({ name: 'simple_rnn_1' }),
          ]),
        ),
      ).toThrow(/simple_rnn_1/);
    });
  });

  it('leaves no tensors behind after build, load, predict and dispose', async () => {
    await expectNoLeak(() => {
      checkTiny(sequential([inputLayer([null, 3, 1]), tinyRnn(), tinyDense()]));
    });
  });

  it('skips the initializers when asked (weights are loaded after)', () => {
    const built = modelFromKeras(sequential([inputLayer([null, 3, 2]), simpleRnn(), dense()]), {
      initializeWeights: false,
    });
    const total = tf.tidy(() =>
      built.model.getWeights().reduce((s, w) => s + w.abs().sum().dataSync()[0], 0),
    );
    expect(total).toBe(0);
    built.model.dispose();
  });
});

describe('Functional', () => {
  const layers = (): JsonValue[] => [
    functionalLayer(inputLayer([null, 3, 1], { name: 'sequence' }), []),
    functionalLayer(tinyRnn(), [
      node(kerasTensor('sequence', [null, 3, 1]), { training: false, mask: null }),
    ]),
    functionalLayer(tinyDense(), [node(kerasTensor('simple_rnn', [null, 1]))]),
  ];

  it('rebuilds a Keras 3 chain (single input and output written as one [name, 0, 0])', () => {
    checkTiny(functional(layers(), ['sequence', 0, 0], ['dense', 0, 0]));
  });

  it('rebuilds with input and output lists', () => {
    checkTiny(functional(layers(), [['sequence', 0, 0]], [['dense', 0, 0]]));
  });

  it("rebuilds Keras 2's [[[name, node, tensor, kwargs]]] inbound nodes", () => {
    checkTiny({
      class_name: 'Functional',
      config: {
        name: 'model',
        layers: [
          { ...inputLayer([null, 3, 1], { name: 'input_1' }), name: 'input_1', inbound_nodes: [] },
          { ...tinyRnn(), name: 'simple_rnn', inbound_nodes: [[['input_1', 0, 0, {}]]] },
          { ...tinyDense(), name: 'dense', inbound_nodes: [[['simple_rnn', 0, 0, {}]]] },
        ],
        input_layers: [['input_1', 0, 0]],
        output_layers: [['dense', 0, 0]],
      },
      keras_version: '2.15.0',
    });
  });

  it('rebuilds the real Keras 3 functional fixture', () => {
    const fixture = readFixtureFile(join(FIXTURES, 'functional_simple_rnn_dense.json'));
    const built = modelFromKeras(fixture.model);
    expect(built.layers.map((l) => l.name)).toEqual(['simple_rnn', 'simple_rnn_1', 'dense']);
    expect(built.model.inputs[0]?.shape).toEqual([null, 4, 3]);
    expect(built.model.outputs[0]?.shape).toEqual([null, 2]);
    built.model.dispose();
  });

  /** x -> SimpleRNN(1, return_state) -> the same Dense on its output (call 0) and state (call 1). */
  const sharedDenseGraph = (returnSequences: boolean) =>
    functional(
      [
        functionalLayer(inputLayer([null, 3, 1], { name: 'x' }), []),
        functionalLayer(
          simpleRnn({ units: 1, return_state: true, return_sequences: returnSequences }),
          [node(kerasTensor('x', [null, 3, 1]))],
        ),
        functionalLayer(tinyDense(), [
          node(kerasTensor('simple_rnn', [null, 1], 0, 0)),
          node(kerasTensor('simple_rnn', [null, 1], 0, 1)),
        ]),
      ],
      [['x', 0, 0]],
      [
        ['dense', 0, 0],
        ['dense', 1, 0],
        ['simple_rnn', 0, 1],
      ],
    );

  /** Runs sharedDenseGraph: the Dense of the state must match the reference. */
  function checkSharedDense(returnSequences: boolean): void {
    const built = modelFromKeras(sharedDenseGraph(returnSequences));
    try {
      expect(built.model.outputs.map((o) => o.shape)).toEqual([
        returnSequences ? [null, 3, 1] : [null, 1],
        [null, 1],
        [null, 1],
      ]);
      loadKerasWeights(built, tinyWeights);
      const [a, b, state] = tf.tidy(() =>
        (built.model.predict(tf.tensor3d(xs.map((s) => s.map((v) => [v])))) as tf.Tensor[]).map(
          (t) => t.arraySync(),
        ),
      );
      const expected = referenceOutputs(xs, W.w, W.u, W.b, W.k, W.c);
      if (!returnSequences) expect(a).toBeAllClose(expected, 1e-6);
      expect(b).toBeAllClose(expected, 1e-6);
      expect(state).toBeAllClose(referenceOutputs(xs, W.w, W.u, W.b, 1, 0), 1e-6);
    } finally {
      built.model.dispose();
    }
  }

  it('rebuilds several outputs, return_state, and a layer shared by two calls', () => {
    checkSharedDense(true);
  });

  it('feeds both the output and the state of return_state without return_sequences onward', () => {
    // Needs the recurrent layer to return the state and the output as distinct tensors: tfjs's
    // executor disposes a tensor after its last consumer, so one tensor returned twice is gone
    // when the second consumer runs.
    checkSharedDense(false);
  });

  it.each<[string, JsonValue[], RegExp]>([
    [
      'a layer with two inputs',
      [
        functionalLayer(inputLayer([null, 3, 1], { name: 'x' }), []),
        functionalLayer(tinyDense(), [
          { args: [kerasTensor('x', [null, 3, 1]), kerasTensor('x', [null, 3, 1])], kwargs: {} },
        ]),
      ],
      /Keras Functional 'functional': layers\[1\] Dense 'dense' inbound_nodes\[0\]: expected a call with one input tensor/,
    ],
    [
      'an initial_state',
      [
        functionalLayer(inputLayer([null, 3, 1], { name: 'x' }), []),
        functionalLayer(tinyRnn(), [
          node(kerasTensor('x', [null, 3, 1]), { initial_state: [kerasTensor('x', [null, 1])] }),
        ]),
      ],
      /SimpleRNN 'simple_rnn' inbound_nodes\[0\]: called with `initial_state: .*`: initial states are not supported/,
    ],
    [
      'Dropout called with training=True',
      [
        functionalLayer(inputLayer([null, 3, 1], { name: 'x' }), []),
        functionalLayer(dropout(), [node(kerasTensor('x', [null, 3, 1]), { training: true })]),
      ],
      /Dropout 'dropout' inbound_nodes\[0\]: called with `training: true`, which keeps dropout on at inference/,
    ],
    [
      'a reference to a missing layer',
      [
        functionalLayer(inputLayer([null, 3, 1], { name: 'x' }), []),
        functionalLayer(tinyRnn(), [node(kerasTensor('nowhere', [null, 3, 1]))]),
      ],
      /layer 'simple_rnn' reads output 0 of call 0 of layer 'nowhere', which does not exist/,
    ],
    [
      'two layers with one name',
      [
        functionalLayer(inputLayer([null, 3, 1], { name: 'x' }), []),
        functionalLayer(tinyRnn(), [node(kerasTensor('x', [null, 3, 1]))]),
        functionalLayer(tinyRnn(), [node(kerasTensor('x', [null, 3, 1]))]),
      ],
      /layers\[2\]: two layers are named 'simple_rnn'/,
    ],
  ])('refuses %s', (_what, graph, message) => {
    expect(() => modelFromKeras(functional(graph, [['x', 0, 0]], [['simple_rnn', 0, 0]]))).toThrow(
      message,
    );
  });

  it('accepts training: true on a layer without dropout, whose outputs it leaves as they are', () => {
    const build = (kwargs: JsonObject) =>
      modelFromKeras(
        functional(
          [
            functionalLayer(inputLayer([null, 3, 1], { name: 'x' }), []),
            functionalLayer(tinyRnn(), [node(kerasTensor('x', [null, 3, 1]), kwargs)]),
          ],
          ['x', 0, 0],
          ['simple_rnn', 0, 0],
        ),
      ).model;
    const plain = build({});
    const training = build({ training: true });
    training.setWeights(plain.getWeights());
    const x = tf.tensor3d([0.5, -1, 2, 0.25, 1.5, -0.75], [2, 3, 1]);
    const [ours, theirs] = [training, plain].map((m) => m.predict(x) as tf.Tensor);
    expect(ours).toBeAllClose(theirs, 0, 0);
    tf.dispose([x, ours, theirs]);
    plain.dispose();
    training.dispose();
  });
});

describe('one layer with an input shape', () => {
  it('gives every output of a return_state layer', () => {
    const built = modelFromKerasLayer(simpleRnn({ return_state: true, return_sequences: true }), [
      null,
      5,
      3,
    ]);
    expect(built.model.outputs.map((o) => o.shape)).toEqual([
      [null, 5, 4],
      [null, 4],
    ]);
    expect(built.layers[0]?.layer).toBeInstanceOf(SimpleRNN);
    built.model.dispose();
  });

  it('takes int32 indices for an Embedding', () => {
    const built = modelFromKerasLayer(embedding(), [null, 6]);
    expect(built.inputDtypes).toEqual(['int32']);
    built.model.dispose();
  });
});

describe('loading Keras weights', () => {
  const json = () => sequential([inputLayer([null, 3, 1]), tinyRnn(), tinyDense()]);

  it.each<[string, typeof tinyWeights, RegExp]>([
    [
      'one weight too few',
      tinyWeights.slice(0, 4),
      /the model has 5 weights, 4 were given; the first without values is Dense 'dense' weight '.*bias'/,
    ],
    [
      'one weight too many',
      [...tinyWeights, { name: 'extra', shape: [1], data: [0] }],
      /the model has 5 weights, 6 were given; the first without a place is weight 5 'extra'/,
    ],
    [
      'a wrong shape',
      tinyWeights.map((w, i) => (i === 1 ? { ...w, shape: [1, 2], data: [1, 2] } : w)),
      /weight 1 'simple_rnn\/simple_rnn_cell\/recurrent_kernel' has shape \[1, 2\], but SimpleRNN 'simple_rnn' weight '.*recurrent_kernel' has shape \[1, 1\]/,
    ],
    [
      'too few values',
      tinyWeights.map((w, i) => (i === 3 ? { ...w, data: [] } : w)),
      /weight 3 'dense\/kernel' has 0 values for shape \[1, 1\] \(1 expected\)/,
    ],
  ])('refuses %s, naming the weight', (_what, weights, message) => {
    const built = modelFromKeras(json());
    const before = tf.tidy(() => built.model.getWeights().map((w) => w.arraySync()));
    expect(() => {
      loadKerasWeights(built, weights);
    }).toThrow(message);
    // Nothing was written.
    expect(tf.tidy(() => built.model.getWeights().map((w) => w.arraySync()))).toEqual(before);
    built.model.dispose();
  });

  it("puts frozen layers' weights last for Keras 2 JSON, as Keras 2's model.weights does", () => {
    const layersJson = [
      inputLayer([null, 3, 1]),
      simpleRnn({ units: 1, trainable: false }),
      tinyDense(),
    ];
    const keras3 = modelFromKeras(sequential(layersJson));
    const keras2 = modelFromKeras({ ...sequential(layersJson), keras_version: '2.15.0' });
    const names = (m: KerasModel) => kerasWeightOrder(m).map((s) => s.owner.name);
    expect(names(keras3)).toEqual(['simple_rnn', 'simple_rnn', 'simple_rnn', 'dense', 'dense']);
    expect(names(keras2)).toEqual(['dense', 'dense', 'simple_rnn', 'simple_rnn', 'simple_rnn']);
    keras3.model.dispose();
    keras2.model.dispose();
  });
});
