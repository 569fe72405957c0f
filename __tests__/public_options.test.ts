/**
 * Every public entry point that takes an options object refuses a key it does not know (with
 * the nearest known key, or the camelCase name of a snake_case one) and a Keras option not
 * implemented yet, before it does any work.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  Dense,
  Dropout,
  Embedding,
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
} from '../src';
import { dense, inputLayer, sequential } from './keras/samples';
import { expectNoLeak, useTestBackend } from './helpers/tensors';

/** Extra keys merged into an entry point's otherwise valid options. */
type Extra = Record<string, unknown>;

const FIXTURE = join(__dirname, 'fixtures', 'keras', 'simple_rnn_b1_t1.json');
let dir = '';
let csvPath = '';

beforeAll(async () => {
  await useTestBackend();
  dir = mkdtempSync(join(tmpdir(), 'public-options-'));
  csvPath = join(dir, 'prices.csv');
  writeFileSync(csvPath, 'date,open\n2020-01-02,1.5\n2020-01-03,1.75\n');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A compiled SimpleRNN -> Dense model on [samples, 3, 2] inputs, and data for it. */
function compiledModel(): { model: Sequential; x: tf.Tensor; y: tf.Tensor } {
  const model = new Sequential([
    new SimpleRNN({ units: 2, inputShape: [3, 2] }),
    new Dense({ units: 1 }),
  ]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  return { model, x: tf.ones([4, 3, 2]), y: tf.ones([4, 1]) };
}

/** Runs `fn` on a fresh compiled model and frees everything after. */
async function withModel(
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
interface EntryPoint {
  subject: string;
  call: (extra: Extra) => unknown;
  typo: [string, string];
  snake: [string, string] | null;
  unknown?: string;
}

const ENTRY_POINTS: EntryPoint[] = [
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
    call: (e) => readCsv(csvPath, { open: 'number' }, { delimiter: ',', ...e }),
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
function attempt(point: EntryPoint, extra: Extra): Promise<unknown> {
  return Promise.resolve().then(() => point.call(extra));
}

const rows = ENTRY_POINTS.map((p): [string, EntryPoint] => [p.subject.replace(/\\/g, ''), p]);

describe('every public options object', () => {
  it.each(rows)('%s: the valid call passes', async (_subject, point) => {
    await expectNoLeak(async () => {
      await point.call({});
    });
  });

  it.each(rows)('%s: refuses an unknown key, listing the known ones', async (_s, point) => {
    const key = point.unknown ?? 'fooBar';
    await expect(attempt(point, { [key]: 1 })).rejects.toThrow(
      new RegExp(`^${point.subject}: unknown (option|call argument|hook|key) \`${key}\`\\. Known `),
    );
  });

  it.each(rows)('%s: refuses a typo, naming the key it means', async (_s, point) => {
    const [typo, meant] = point.typo;
    await expect(attempt(point, { [typo]: 1 })).rejects.toThrow(
      new RegExp(
        `^${point.subject}: unknown \\w+( \\w+)? \`${typo}\`; did you mean \`${meant}\`\\?`,
      ),
    );
  });

  it.each(rows.filter(([, p]) => p.snake !== null))(
    "%s: refuses Keras's snake_case, giving the camelCase name",
    async (_s, point) => {
      const [snake, camel] = point.snake ?? ['', ''];
      await expect(attempt(point, { [snake]: 1 })).rejects.toThrow(
        new RegExp(
          `^${point.subject}: unknown \\w+( \\w+)? \`${snake}\`: \`${snake}\` is \`${camel}\` here`,
        ),
      );
    },
  );

  it('refuses before any work: no tensor, no weights, no layer name taken', async () => {
    const before = new SimpleRNN({ units: 1 }).name;
    await expectNoLeak(() => {
      expect(() => new SimpleRNN({ units: 2, returnSequence: true } as never)).toThrow(
        /unknown option `returnSequence`/,
      );
    });
    const after = new SimpleRNN({ units: 1 }).name;
    const count = (name: string): number => Number(/_(\d+)$/.exec(name)?.[1] ?? 0);
    expect(count(after)).toBe(count(before) + 1);
  });

  it('a refused fit, evaluate or predict leaves the weights, the output and the tensors alone', async () => {
    await withModel(async ({ model, x, y }) => {
      const weights = model.getWeights();
      const lines: string[] = [];
      const stream = { write: (t: string) => lines.push(t) };
      await expectNoLeak(async () => {
        await expect(model.fit(x, y, { stream, batch_size: 2 } as never)).rejects.toThrow(
          /batch_size/,
        );
        await expect(model.evaluate(x, y, { stream, steps: 1 } as never)).rejects.toThrow(/steps/);
        expect(() => model.predict(x, { stream, bachSize: 2 } as never)).toThrow(/bachSize/);
      });
      expect(lines).toEqual([]);
      const after = model.getWeights();
      after.forEach((w, i) => {
        expect(w).toBeAllClose(weights[i] ?? tf.scalar(0), 0);
      });
      tf.dispose([...weights, ...after]);
    });
  });

  it('a refused compile keeps the previous one', async () => {
    await withModel(async ({ model, x, y }) => {
      expect(() => {
        model.compile({ optimizer: 'adam', loss: 'mse', lossWeights: [1] } as never);
      }).toThrow(/`lossWeights` is not supported yet/);
      expect(model.optimizer?.getClassName()).toBe('SGD');
      await model.fit(x, y, { verbose: 0 });
    });
  });
});

describe('Keras features not implemented yet are refused by name', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'stateful',
      () => new SimpleRNN({ units: 4, stateful: true, batchInputShape: [2, 3, 4] } as never),
      /^SimpleRNN: `stateful` is not supported yet \(received true\): every batch starts from zero states here/,
    ],
    [
      'stateful on a StackedRNN, in snake_case',
      () => new StackedRNN({ cells: [{ units: 2 }], stateful: true } as never),
      /^StackedRNN: `stateful` is not supported yet/,
    ],
    [
      'a regularizer',
      () => new Dense({ units: 2, kernelRegularizer: 'l2' } as never),
      /^Dense: `kernelRegularizer` is not supported yet \(received "l2"\): leave it out\.$/,
    ],
    [
      "Keras's spelling of a regularizer",
      () => new SimpleRNNCell({ units: 2, recurrent_regularizer: 'l2' } as never),
      /^SimpleRNNCell: `recurrent_regularizer` \(`recurrentRegularizer` here\) is not supported yet/,
    ],
    [
      'a seeded recurrent dropout',
      () => new SimpleRNN({ units: 2, dropout: 0.1, seed: 3 } as never),
      /^SimpleRNN: `seed` is not supported yet \(received 3\)/,
    ],
    [
      'initial weights',
      () => new Embedding({ inputDim: 3, outputDim: 2, weights: [[0]] } as never),
      /^Embedding: `weights` is not supported yet .*setWeights/,
    ],
    [
      'LoRA',
      () => new Dense({ units: 2, loraRank: 4 } as never),
      /^Dense: `loraRank` is not supported yet/,
    ],
    [
      'a trainable flag on the model',
      () => new Sequential([], { trainable: false } as never),
      /^Sequential: `trainable` is not supported yet \(received false\): set `trainable` on the layers instead\.$/,
    ],
    [
      'printFn in the options',
      () => {
        new Sequential([new Dense({ units: 1, inputShape: [2] })]).summary(console.log, {
          printFn: console.log,
        } as never);
      },
      /^Sequential.summary: `printFn` is not supported yet \(received a function\): pass it as the first argument/,
    ],
    [
      'an Adam with the moving average of the weights',
      () => new Adam({ useEma: true } as never),
      /^Adam: `useEma` is not supported yet \(received true\)/,
    ],
    [
      "a loss's reduction",
      () => {
        new Sequential().compile({ loss: { name: 'mse', reduction: 'sum' } as never });
      },
      /^Sequential.compile \(loss\): `reduction` is not supported yet \(received "sum"\)/,
    ],
  ])('%s', (_what, construct, message) => {
    expect(construct).toThrow(message);
  });

  it.each<[string, () => Extra, RegExp]>([
    [
      'initialState',
      () => ({ initialState: [tf.zeros([1, 2])] }),
      /`initialState` is not supported yet/,
    ],
    [
      'a mask',
      () => ({ mask: tf.ones([1, 3], 'bool') }),
      /`mask` is not supported yet \(received a \w+\)/,
    ],
  ])('%s given to apply', async (_what, makeKwargs, message) => {
    const layer = new SimpleRNN({ units: 2 });
    const x = tf.ones([1, 3, 2]);
    const kwargs = makeKwargs();
    await expectNoLeak(() => {
      expect(() => layer.apply(x, kwargs)).toThrow(
        new RegExp(`^SimpleRNN 'simple_rnn[_0-9]*': ${message.source}`),
      );
    });
    expect(layer.built).toBe(false);
    tf.dispose([x, ...(Object.values(kwargs).flat() as tf.Tensor[])]);
  });

  it('a mask from a tfjs masking layer in a plain tf.sequential', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [3, 2] }),
        new SimpleRNN({ units: 2 }),
      ],
    });
    const x = tf.ones([1, 3, 2]);
    await expectNoLeak(() => {
      expect(() => model.predict(x)).toThrow(
        /^SimpleRNN 'simple_rnn[_0-9]*': `mask` is not supported yet/,
      );
    });
    x.dispose();
    model.dispose();
  });

  it.each<[string, Extra, RegExp]>([
    ['sampleWeight', { sampleWeight: [1, 1, 1, 1] }, /`sampleWeight` is not supported yet/],
    ['classWeight', { classWeight: { 0: 1 } }, /`classWeight` is not supported yet/],
    ['class_weight', { class_weight: { 0: 1 } }, /`class_weight` \(`classWeight` here\)/],
    ['stepsPerEpoch', { stepsPerEpoch: 2 }, /`stepsPerEpoch` is not supported yet/],
  ])('fit with %s', async (_what, extra, message) => {
    await withModel(async ({ model, x, y }) => {
      await expect(model.fit(x, y, { verbose: 0, ...extra })).rejects.toThrow(
        new RegExp(`^Sequential.fit: ${message.source}`),
      );
    });
  });

  it("accepts each at Keras's default value, which asks for nothing", async () => {
    const defaults = [
      () => new SimpleRNN({ units: 2, stateful: false, unroll: false, seed: null } as never),
      () => new Dense({ units: 2, kernelRegularizer: null, biasConstraint: null } as never),
      () => new Adam({ useEma: false, emaMomentum: 0.99, decay: 0 } as never),
    ];
    for (const construct of defaults) expect(construct).not.toThrow();
    await withModel(async ({ model, x, y }) => {
      model.compile({
        optimizer: 'sgd',
        loss: 'mse',
        runEagerly: false,
        jitCompile: 'auto',
      } as never);
      await model.fit(x, y, { verbose: 0, sampleWeight: null, validationFreq: 1 } as never);
      const layer = model.layers.at(0);
      tf.dispose(
        layer?.apply(x, { training: false, mask: null, initialState: undefined }) as tf.Tensor,
      );
    });
  });
});

describe('every layer takes back its own config', () => {
  it.each<[string, number[], () => tf.layers.Layer]>([
    [
      'SimpleRNN',
      [3, 2],
      () => new SimpleRNN({ units: 2, returnSequences: true, dropout: 0.1, trainable: false }),
    ],
    [
      'StackedRNN',
      [3, 2],
      () =>
        new StackedRNN({
          cells: [{ units: 2 }, { units: 3, trainable: false }],
          goBackwards: true,
        }),
    ],
    ['Dense', [3], () => new Dense({ units: 2, activation: 'relu' })],
    ['Embedding', [3], () => new Embedding({ inputDim: 4, outputDim: 2, inputLength: 3 })],
    ['Dropout', [3, 2], () => new Dropout({ rate: 0.2, noiseShape: [null, 1, 2], seed: 3 })],
  ])('%s, through a tfjs model JSON', async (className, inputShape, construct) => {
    const layer = construct();
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape }), layer] });
    const json = model.toJSON(null, false);
    if (typeof json === 'string') throw new Error('expected a JSON object');
    const copy = await tf.models.modelFromJSON(json);
    const copied = copy.layers.at(-1);
    expect(copied?.getClassName()).toBe(className);
    expect(copied?.getConfig()).toEqual(layer.getConfig());
    copy.dispose();
    model.dispose();
  });
});
