/**
 * A Keras file in and out: a model that Python Keras trained and saved (a compiled LSTM, written
 * by the fixture generator, python/keras_file_fixtures.py) is loaded here, predicts what Keras
 * predicted, is fine-tuned on a new task, and is saved back as a .keras file that Python's
 * `keras.models.load_model` opens, optimizer state included.
 *
 *   npm run example:keras-file
 *   EXAMPLE_EPOCHS=5 npm run example:keras-file      a short run
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { backendName, loadKerasModel, useBackend } from 'tfjs-keras-rnn';
import { ensureDir } from './lib/files';
import { envPositiveInt, envVerbose } from './lib/options';
import { runExample } from './lib/run';

const ROOT = path.join(__dirname, '..');
const KERAS_FILE = path.join(
  ROOT,
  '__tests__',
  'fixtures',
  'keras_files',
  'compiled_lstm_adam.keras',
);
const OUT = path.join(ROOT, 'out', 'keras-file');

/** Keras's inputs and outputs for the file, as the generator wrote them beside it. */
interface Reference {
  x: number[][][];
  y: number[][];
}

/** The new task: the mean of the first feature over the 5 steps. */
function task(samples: number, seed: number): { x: tf.Tensor3D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform<tf.Rank.R3>([samples, 5, 2], -1, 1, 'float32', seed);
    const y = tf.mean<tf.Tensor2D>(tf.slice(x, [0, 0, 0], [-1, -1, 1]), 1);
    return { x, y };
  });
}

async function main(): Promise<void> {
  const epochs = envPositiveInt('EXAMPLE_EPOCHS', 60);
  const verbose = envVerbose('EXAMPLE_VERBOSE', 0);
  await useBackend('auto');
  console.log(`Backend: ${backendName()}`);

  // 1. Load what Python saved: the layers, the weights, the compile arguments, Adam's state.
  const model = await loadKerasModel(KERAS_FILE);
  console.log(`Loaded ${path.relative(ROOT, KERAS_FILE)} (saved by Keras, compiled with Adam)`);
  model.summary();

  // 2. The same predictions as Keras.
  const ref = JSON.parse(
    fs.readFileSync(KERAS_FILE.replace(/\.keras$/, '.json'), 'utf8'),
  ) as Reference;
  const xKeras = tf.tensor3d(ref.x);
  const ours = model.predict(xKeras, { verbose: 0 });
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours, tf.tensor2d(ref.y)))).dataSync()[0]);
  console.log(`Predictions on Keras's inputs: max |ours - Keras's| = ${diff.toExponential(1)}`);

  // 3. Fine-tune on a new task; the optimizer goes on from the step Keras reached.
  const train = task(256, 1);
  const test = task(64, 2);
  const before = (await model.evaluate(test.x, test.y, { verbose: 0 })) as number;
  await model.fit(train.x, train.y, { epochs, batchSize: 32, verbose });
  const after = (await model.evaluate(test.x, test.y, { verbose: 0 })) as number;
  console.log(
    `Fine-tuned for ${epochs} epochs: test MSE ${before.toFixed(4)} -> ${after.toFixed(4)}`,
  );

  // 4. Save it back for Python, and check what comes back here.
  const saved = path.join(ensureDir(OUT), 'fine_tuned.keras');
  await model.save(saved);
  const reloaded = await loadKerasModel(saved);
  const [a, b] = [model.predict(test.x, { verbose: 0 }), reloaded.predict(test.x, { verbose: 0 })];
  const same = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  console.log(`Saved ${path.relative(ROOT, saved)}; reloaded, max |difference| = ${same}`);
  console.log(
    `In Python: keras.models.load_model("${path.relative(ROOT, saved)}").fit(x, y) goes on from here.`,
  );

  tf.dispose([xKeras, ours, train.x, train.y, test.x, test.y, a, b]);
  model.dispose();
  reloaded.dispose();
}

runExample(main);
