/**
 * Every public entry point that takes an options object, as a row: a valid call with extra keys
 * merged into the options under test, and the keys to try on it. Used by unknown_keys.test.ts;
 * a new entry point gets a row here.
 */
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  Bidirectional,
  Masking,
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  Dense,
  Dropout,
  Embedding,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  MinMaxScaler,
  RMSprop,
  SGD,
  Sequential,
  SimpleRNN,
  SimpleRNNCell,
  StackedRNN,
  compareFiles,
  compareFixture,
  compareFixtureFile,
  inputFromKeras,
  kerasLayerSpec,
  layerFromKeras,
  modelFromFixture,
  modelFromKeras,
  modelFromKerasLayer,
  orthogonalInitializer,
  parseCsv,
  readCsv,
  readFixtureFile,
  runCase,
} from '../../src';
import { dense, inputLayer, sequential } from '../keras/samples';

/** Extra keys merged into an entry point's otherwise valid options. */
export type Extra = Record<string, unknown>;

const FIXTURE = join(__dirname, '..', 'fixtures', 'keras', 'simple_rnn_b1_t1.json');
const CSV_PATH = join(dirname(require.resolve('vega-datasets')), '../data/sp500-2000.csv');

/** A compiled SimpleRNN -> Dense model on [samples, 3, 2] inputs, and data for it. */
export function compiledModel(): { model: Sequential; x: tf.Tensor; y: tf.Tensor } {
  const model = new Sequential([
    new SimpleRNN({ units: 2, inputShape: [3, 2] }),
    new Dense({ units: 1 }),
  ]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  return { model, x: tf.ones([4, 3, 2]), y: tf.ones([4, 1]) };
}

/** Runs `fn` on a fresh compiled model and frees everything after. */
export async function withModel(
  fn: (m: { model: Sequential; x: tf.Tensor; y: tf.Tensor }) => unknown,
): Promise<void> {
  const m = compiledModel();
  try {
    const out = await fn(m);
    if (out instanceof tf.Tensor) out.dispose();
  } finally {
    m.model.dispose();
    tf.dispose([m.x, m.y]);
  }
}

/** Builds a layer and frees its weights, if any. */
function make(layer: () => tf.layers.Layer | SimpleRNNCell): void {
  const built = layer();
  if (built.built) built.dispose();
}

/**
 * One public entry point: the subject its errors name, a valid call with `extra` keys added to
 * the options under test, a typo and the key it means, and a Keras snake_case key with its
 * camelCase name (null where the options have no key of two words); `unknown` is a key that
 * means nothing there. Default: 'fooBar'.
 */
export interface EntryPoint {
  subject: string;
  call: (extra: Extra) => unknown;
  typo: [string, string];
  snake: [string, string] | null;
  unknown?: string;
}

export const ENTRY_POINTS: EntryPoint[] = [
  {
    subject: 'SimpleRNN',
    call: (e) => {
      make(() => new SimpleRNN({ units: 2, ...e }));
    },
    typo: ['returnSequence', 'returnSequences'],
    snake: ['return_sequences', 'returnSequences'],
  },
  {
    subject: 'SimpleRNNCell',
    call: (e) => {
      make(() => new SimpleRNNCell({ units: 2, ...e }));
    },
    typo: ['recurentDropout', 'recurrentDropout'],
    snake: ['recurrent_dropout', 'recurrentDropout'],
  },
  {
    subject: 'LSTM',
    call: (e) => {
      make(() => new LSTM({ units: 2, ...e }));
    },
    typo: ['recurrentActivaton', 'recurrentActivation'],
    snake: ['unit_forget_bias', 'unitForgetBias'],
  },
  {
    subject: 'LSTMCell',
    call: (e) => {
      make(() => new LSTMCell({ units: 2, ...e }));
    },
    typo: ['unitForgetBais', 'unitForgetBias'],
    snake: ['recurrent_activation', 'recurrentActivation'],
  },
  {
    subject: 'GRU',
    call: (e) => {
      make(() => new GRU({ units: 2, ...e }));
    },
    typo: ['resetAftr', 'resetAfter'],
    snake: ['reset_after', 'resetAfter'],
  },
  {
    subject: 'GRUCell',
    call: (e) => {
      make(() => new StackedRNN({ cells: [new GRUCell({ units: 2, ...e })] }));
    },
    typo: ['resetafter', 'resetAfter'],
    snake: ['use_bias', 'useBias'],
  },
  {
    subject: 'StackedRNN',
    call: (e) => {
      make(() => new StackedRNN({ cells: [{ units: 2 }], ...e }));
    },
    typo: ['goBackward', 'goBackwards'],
    snake: ['go_backwards', 'goBackwards'],
  },
  {
    subject: 'SimpleRNNCell',
    call: (e) => {
      make(() => new StackedRNN({ cells: [{ units: 2, ...e }] }));
    },
    typo: ['unit', 'units'],
    snake: ['use_bias', 'useBias'],
  },
  {
    subject: 'Dense',
    call: (e) => {
      make(() => new Dense({ units: 2, ...e }));
    },
    typo: ['activaton', 'activation'],
    snake: ['kernel_initializer', 'kernelInitializer'],
  },
  {
    subject: 'Dense \\(initializer\\)',
    call: (e) => {
      make(
        () =>
          new Dense({
            units: 2,
            kernelInitializer: { className: 'Zeros', config: {}, ...e },
          }),
      );
    },
    typo: ['classname', 'className'],
    snake: ['class_name', 'className'],
  },
  {
    subject: 'Embedding',
    call: (e) => {
      make(() => new Embedding({ inputDim: 4, outputDim: 2, ...e }));
    },
    typo: ['outputDims', 'outputDim'],
    snake: ['embeddings_initializer', 'embeddingsInitializer'],
  },
  {
    subject: 'Dropout',
    call: (e) => {
      make(() => new Dropout({ rate: 0.5, ...e }));
    },
    typo: ['noiseShap', 'noiseShape'],
    snake: ['noise_shape', 'noiseShape'],
  },
  {
    subject: 'Masking',
    call: (e) => {
      make(() => new Masking({ maskValue: 0, ...e }));
    },
    typo: ['maskValu', 'maskValue'],
    snake: ['mask_value', 'maskValue'],
  },
  {
    subject: 'Bidirectional',
    call: (e) => {
      make(() => new Bidirectional({ layer: new LSTM({ units: 2 }), ...e }));
    },
    typo: ['mergeMod', 'mergeMode'],
    snake: ['backward_layer', 'backwardLayer'],
  },
  {
    subject: "SimpleRNN 'simple_rnn[_0-9]*'",
    call: (e) => {
      const layer = new SimpleRNN({ units: 2 });
      const x = tf.ones([1, 3, 2]);
      try {
        tf.dispose(layer.apply(x, { training: false, ...e }) as tf.Tensor);
      } finally {
        x.dispose();
        if (layer.built) layer.dispose();
      }
    },
    typo: ['trainng', 'training'],
    snake: null,
  },
  {
    subject: "Dense 'dense[_0-9]*'",
    call: (e) => {
      const layer = new Dense({ units: 2 });
      const x = tf.ones([1, 3]);
      try {
        tf.dispose(layer.apply(x, { ...e }) as tf.Tensor);
      } finally {
        x.dispose();
        if (layer.built) layer.dispose();
      }
    },
    typo: ['Training', 'training'],
    snake: null,
  },
  {
    subject: 'Sequential',
    call: (e) => {
      new Sequential([], { name: 'options_test', ...e }).dispose();
    },
    typo: ['nme', 'name'],
    snake: null,
  },
  {
    subject: 'Sequential.compile',
    call: (e) =>
      withModel(({ model }) => {
        model.compile({ optimizer: 'adam', loss: 'mse', ...e });
      }),
    typo: ['metric', 'metrics'],
    snake: null,
  },
  {
    subject: 'Sequential.compile \\(loss\\)',
    call: (e) =>
      withModel(({ model }) => {
        model.compile({ loss: { name: 'binary_crossentropy', ...e } });
      }),
    typo: ['fromLogit', 'fromLogits'],
    snake: ['from_logits', 'fromLogits'],
  },
  {
    subject: 'Sequential.compile: Adam',
    call: (e) =>
      withModel(({ model }) => {
        model.compile({ optimizer: { name: 'adam', ...e }, loss: 'mse' });
      }),
    typo: ['learningRat', 'learningRate'],
    // Keras's snake_case is accepted here: an optimizer config is Keras's own.
    snake: null,
  },
  {
    subject: 'Sequential.fit',
    call: (e) => withModel(({ model, x, y }) => model.fit(x, y, { verbose: 0, ...e })),
    typo: ['epoch', 'epochs'],
    snake: ['batch_size', 'batchSize'],
  },
  {
    subject: 'Sequential.fit: callbacks\\[0\\]',
    call: (e) =>
      withModel(({ model, x, y }) =>
        model.fit(x, y, { verbose: 0, callbacks: [{ onEpochEnd: () => undefined, ...e }] }),
      ),
    typo: ['onEpochEnds', 'onEpochEnd'],
    snake: ['on_epoch_end', 'onEpochEnd'],
    // Only the members that look like hooks are checked: the rest are the callback's own.
    unknown: 'onFooBar',
  },
  {
    subject: 'Sequential.evaluate',
    call: (e) => withModel(({ model, x, y }) => model.evaluate(x, y, { verbose: 0, ...e })),
    typo: ['batchsize', 'batchSize'],
    snake: ['batch_size', 'batchSize'],
  },
  {
    subject: 'Sequential.predict',
    call: (e) => withModel(({ model, x }) => model.predict(x, { verbose: 0, ...e })),
    typo: ['verbos', 'verbose'],
    snake: ['batch_size', 'batchSize'],
  },
  {
    subject: 'Sequential.summary',
    call: (e) =>
      withModel(({ model }) => {
        model.summary(() => undefined, { lineLength: 80, ...e });
      }),
    typo: ['lineLenght', 'lineLength'],
    snake: ['line_length', 'lineLength'],
  },
  ...(
    [
      ['SGD', (e: Extra) => new SGD({ ...e }), ['momentun', 'momentum']],
      ['Adam', (e: Extra) => new Adam({ ...e }), ['betta1', 'beta1']],
      ['RMSprop', (e: Extra) => new RMSprop({ ...e }), ['centred', 'centered']],
      ['Adagrad', (e: Extra) => new Adagrad({ ...e }), ['epsilo', 'epsilon']],
      ['Adadelta', (e: Extra) => new Adadelta({ ...e }), ['roh', 'rho']],
      ['Adamax', (e: Extra) => new Adamax({ ...e }), ['beta2_', 'beta2']],
    ] as const
  ).map(([subject, construct, typo]): EntryPoint => ({
    subject,
    call: (e) => {
      construct(e).dispose();
    },
    typo: [...typo],
    snake: ['learning_rate', 'learningRate'],
  })),
  {
    subject: 'readCsv',
    call: (e) => readCsv(CSV_PATH, { open: 'number' }, { delimiter: ',', ...e }),
    typo: ['delimeter', 'delimiter'],
    snake: null,
  },
  {
    subject: 'parseCsv',
    call: (e) => parseCsv('a\n1\n', { a: 'number' }, { source: 'text', ...e }),
    typo: ['sourc', 'source'],
    snake: null,
  },
  {
    subject: 'MinMaxScaler',
    call: (e) => new MinMaxScaler({ featureRange: [0, 1], ...e }),
    typo: ['featureRnage', 'featureRange'],
    snake: ['feature_range', 'featureRange'],
  },
  {
    subject: 'orthogonalInitializer',
    call: (e) => orthogonalInitializer({ gain: 1, ...e }),
    typo: ['gian', 'gain'],
    snake: null,
  },
  {
    subject: 'kerasLayerSpec',
    call: (e) => kerasLayerSpec(dense(), { ...e }),
    typo: ['dialec', 'dialect'],
    snake: null,
  },
  {
    subject: 'kerasLayerSpec',
    call: (e) => {
      make(() => layerFromKeras(dense(), { ...e }));
    },
    typo: ['wher', 'where'],
    snake: null,
  },
  {
    subject: 'inputFromKeras',
    call: (e) => inputFromKeras(inputLayer([null, 3]), { ...e }),
    typo: ['Dialect', 'dialect'],
    snake: null,
  },
  {
    subject: 'modelFromKeras',
    call: (e) => {
      modelFromKeras(sequential([inputLayer([null, 3]), dense()]), { ...e }).model.dispose();
    },
    typo: ['initializeWeight', 'initializeWeights'],
    snake: ['initialize_weights', 'initializeWeights'],
  },
  {
    subject: 'modelFromKerasLayer',
    call: (e) => {
      modelFromKerasLayer(dense(), [null, 3], { ...e }).model.dispose();
    },
    typo: ['inputDType', 'inputDtype'],
    snake: ['input_dtype', 'inputDtype'],
  },
  {
    subject: 'compareFixture',
    call: (e) => compareFixture(readFixtureFile(FIXTURE), { atol: 1e-5, ...e }),
    typo: ['atoll', 'atol'],
    snake: null,
  },
  {
    subject: 'compareFixtureFile',
    call: (e) => compareFixtureFile(FIXTURE, { ...e }),
    typo: ['Atol', 'atol'],
    snake: null,
  },
  {
    subject: 'compareFiles',
    call: (e) => compareFiles([FIXTURE], { onResult: () => undefined, ...e }),
    typo: ['onResults', 'onResult'],
    snake: ['on_result', 'onResult'],
  },
  {
    subject: 'runCase',
    call: (e) => {
      const fixture = readFixtureFile(FIXTURE);
      const built = modelFromFixture(fixture);
      try {
        const first = fixture.cases.at(0);
        if (first === undefined) throw new Error('the fixture has no case');
        return runCase(built, first, { ...e });
      } finally {
        built.model.dispose();
      }
    },
    typo: ['atl', 'atol'],
    snake: null,
  },
];

/** The entry point's call with `extra`, as a promise: sync throws become rejections. */
export function attempt(point: EntryPoint, extra: Extra): Promise<unknown> {
  return Promise.resolve().then(() => point.call(extra));
}

/** The rows for it.each: a readable name (the subject without its regex escapes), the row. */
export const ENTRY_POINT_ROWS = ENTRY_POINTS.map((p): [string, EntryPoint] => [
  p.subject.replace(/\\/g, ''),
  p,
]);
