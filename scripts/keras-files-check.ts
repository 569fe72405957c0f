/**
 * `npm run check:keras-files`: Node to Python through Keras's files.
 *
 * - For every .keras file in __tests__/fixtures/keras_files/ (written by Keras), this package
 *   loads it, changes its weights (a compiled model by one `fit` step, any other by set
 *   weights), predicts, and saves it twice: the weights with `saveWeights`, the whole model with
 *   `save('NAME.keras')`; a compiled model then takes one more step here.
 * - A few models built here (NODE_MODELS: a stateful LSTM with its batch shape, a classifier
 *   compiled with a from-logits loss and a metric, SGD with momentum) are trained one step,
 *   saved with `save`, and take one more step.
 *
 * Then python/check_keras_files.py loads, in Keras, each fixture with this package's weights
 * file, and each .keras file this package wrote, and checks Keras's predictions (and, for a
 * compiled model, the iteration count and the next step's weights) against this package's.
 * Needs python/.venv (see python/README.md); without it, says so and exits 1. `--keep DIR`
 * leaves the files in DIR.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  Dense,
  Dropout,
  Embedding,
  GRU,
  LSTM,
  LSTMCell,
  Sequential,
  SimpleRNNCell,
  StackedRNN,
  loadKerasModel,
  useBackend,
} from '../src';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, '__tests__', 'fixtures', 'keras_files');
const PYTHON = path.join(ROOT, 'python', '.venv', 'bin', 'python');

interface Reference {
  compiled: boolean;
  x: number[];
  x_dtype: string;
  tolerance: number;
  next?: { y_train: number[][] };
}

/** What the Python side compares with: the inputs, this package's outputs and next step. */
interface NodeSide {
  x: unknown;
  x_dtype: string;
  tolerance: number;
  y: unknown;
  compiled: boolean;
  iterations?: number;
  y_train?: unknown;
  weights_after_next?: number[][];
}

/**
 * Predicts, saves (`save` to NAME.keras; `saveWeights` too when `weightsFile`), and for a
 * compiled model takes one more step on `y`; writes NAME.node.json for the Python side.
 */
async function saveAndStep(
  model: Sequential,
  name: string,
  out: string,
  data: { x: tf.Tensor; y?: tf.Tensor; tolerance: number; weightsFile: boolean },
): Promise<void> {
  const { x, y } = data;
  const predictions = model.predict(x, { verbose: 0 });
  if (data.weightsFile) await model.saveWeights(path.join(out, `${name}.weights.h5`));
  await model.save(path.join(out, `${name}.keras`));
  const node: NodeSide = {
    x: await x.array(),
    x_dtype: x.dtype,
    tolerance: data.tolerance,
    y: await predictions.array(),
    compiled: y !== undefined,
  };
  if (y !== undefined) {
    const state = (await model.optimizer?.getWeights()) ?? [];
    node.iterations = state.at(0)?.tensor.dataSync()[0];
    node.y_train = await y.array();
    await model.fit(x, y, { batchSize: x.shape[0], epochs: 1, shuffle: false, verbose: 0 });
    node.weights_after_next = model.getWeights().map((w) => Array.from(w.dataSync()));
  }
  fs.writeFileSync(path.join(out, `${name}.node.json`), JSON.stringify(node));
  predictions.dispose();
}

async function writeNodeSide(name: string, out: string): Promise<void> {
  const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Reference;
  const model = await loadKerasModel(path.join(FIXTURES, `${name}.keras`));
  const x = tf.tensor(ref.x, undefined, ref.x_dtype.startsWith('int') ? 'int32' : 'float32');
  const y = ref.next === undefined ? undefined : tf.tensor(ref.next.y_train);
  if (y !== undefined) {
    await model.fit(x, y, { batchSize: ref.x.length, epochs: 1, shuffle: false, verbose: 0 });
  } else {
    const moved = model.getWeights().map((w) => tf.tidy(() => tf.add(tf.mul(w, 1.1), 0.01)));
    model.setWeights(moved);
    tf.dispose(moved);
  }
  await saveAndStep(model, name, out, { x, y, tolerance: ref.tolerance, weightsFile: true });
  tf.dispose([x, ...(y === undefined ? [] : [y])]);
  model.dispose();
}

/** Models built here, each with its data: what the fixtures' models do not cover. */
const NODE_MODELS: Record<string, () => { model: Sequential; x: tf.Tensor; y?: tf.Tensor }> = {
  node_stateful_lstm: () => {
    const model = new Sequential(
      [
        new LSTM({ units: 3, stateful: true, returnSequences: true, batchInputShape: [2, 4, 2] }),
        new Dense({ units: 1 }),
      ],
      { name: 'stateful_lstm' },
    );
    return { model, x: tf.randomUniform([2, 4, 2], -1, 1, 'float32', 1) };
  },
  node_logits_classifier: () => {
    const model = new Sequential([
      new Embedding({ inputDim: 12, outputDim: 4, maskZero: true, inputShape: [5] }),
      new GRU({ units: 3 }),
      // Rate 0: Keras's and this package's random masks differ, and the next step is compared.
      new Dropout({ rate: 0 }),
      new Dense({ units: 3 }),
    ]);
    model.compile({
      optimizer: { name: 'adam', learningRate: 0.01 },
      loss: { name: 'sparse_categorical_crossentropy', fromLogits: true },
      metrics: ['accuracy'],
    });
    const x = tf.tensor2d(
      [
        [1, 4, 7, 0, 0],
        [3, 3, 9, 11, 2],
        [5, 0, 0, 0, 0],
      ],
      undefined,
      'int32',
    );
    return { model, x, y: tf.tensor1d([0, 2, 1]) };
  },
  node_sgd_momentum_stack: () => {
    const model = new Sequential([
      new StackedRNN({
        cells: [new SimpleRNNCell({ units: 3 }), new LSTMCell({ units: 2 })],
        inputShape: [4, 2],
      }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({
      optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true },
      loss: 'binary_crossentropy',
      metrics: ['mae'],
    });
    return {
      model,
      x: tf.randomUniform([3, 4, 2], -1, 1, 'float32', 2),
      y: tf.tensor2d([[1], [0], [1]]),
    };
  },
};

async function writeNodeModel(name: string, out: string): Promise<void> {
  const { model, x, y } = NODE_MODELS[name]();
  if (y !== undefined) {
    await model.fit(x, y, { batchSize: x.shape[0], epochs: 1, shuffle: false, verbose: 0 });
  }
  await saveAndStep(model, name, out, { x, y, tolerance: 1e-5, weightsFile: false });
  tf.dispose([x, ...(y === undefined ? [] : [y])]);
  model.dispose();
}

async function main(): Promise<void> {
  const keep = process.argv.indexOf('--keep');
  const keptIn = keep >= 0 ? process.argv.at(keep + 1) : undefined;
  const out =
    keptIn === undefined
      ? fs.mkdtempSync(path.join(os.tmpdir(), 'keras-files-check-'))
      : path.resolve(keptIn);
  fs.mkdirSync(out, { recursive: true });
  if (!fs.existsSync(PYTHON)) {
    console.error(
      `check:keras-files: no ${PYTHON}; set up the fixture generator's venv first (python/README.md).`,
    );
    process.exit(1);
  }
  await useBackend('cpu');
  const names = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.keras'))
    .map((f) => f.slice(0, -'.keras'.length));
  for (const name of names) await writeNodeSide(name, out);
  for (const name of Object.keys(NODE_MODELS)) await writeNodeModel(name, out);
  const result = spawnSync(
    PYTHON,
    [path.join(ROOT, 'python', 'check_keras_files.py'), FIXTURES, out],
    {
      stdio: 'inherit',
    },
  );
  if (keptIn === undefined) fs.rmSync(out, { recursive: true, force: true });
  process.exit(result.status ?? 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
