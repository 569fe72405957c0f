/**
 * `npm run check:keras-files`: Node to Python through Keras's files. For every .keras file in
 * __tests__/fixtures/keras_files/ (written by Keras), this package loads it, changes its weights
 * (a compiled model by one `fit` step, any other by set weights), predicts, and saves the
 * weights with `saveWeights`; a compiled model then takes one more step here. Then
 * python/check_keras_files.py loads each .keras file in Keras, loads this package's weights
 * file into it and checks Keras's predictions (and, for a compiled model, the iteration count and
 * the next step's weights) against this package's. Needs python/.venv (see python/README.md);
 * without it, says so and exits 1. `--keep DIR` leaves the files in DIR.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadKerasModel, useBackend } from '../src';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, '__tests__', 'fixtures', 'keras_files');
const PYTHON = path.join(ROOT, 'python', '.venv', 'bin', 'python');

interface Reference {
  compiled: boolean;
  x: number[];
  x_dtype: string;
  next?: { y_train: number[][] };
}

async function writeNodeSide(name: string, out: string): Promise<void> {
  const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Reference;
  const model = await loadKerasModel(path.join(FIXTURES, `${name}.keras`));
  const x = tf.tensor(ref.x, undefined, ref.x_dtype.startsWith('int') ? 'int32' : 'float32');
  const y = ref.next === undefined ? undefined : tf.tensor(ref.next.y_train);
  const fitOnce = async (): Promise<void> => {
    if (y !== undefined) {
      await model.fit(x, y, { batchSize: ref.x.length, epochs: 1, shuffle: false, verbose: 0 });
    }
  };
  if (y !== undefined) {
    await fitOnce();
  } else {
    const moved = model.getWeights().map((w) => tf.tidy(() => tf.add(tf.mul(w, 1.1), 0.01)));
    model.setWeights(moved);
    tf.dispose(moved);
  }
  const predictions = model.predict(x, { verbose: 0 });
  await model.saveWeights(path.join(out, `${name}.weights.h5`));
  const node: Record<string, unknown> = { y: await predictions.array() };
  if (y !== undefined) {
    await fitOnce();
    node.weights_after_next = model.getWeights().map((w) => Array.from(w.dataSync()));
  }
  fs.writeFileSync(path.join(out, `${name}.node.json`), JSON.stringify(node));
  tf.dispose([x, predictions, ...(y === undefined ? [] : [y])]);
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
