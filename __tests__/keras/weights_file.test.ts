/**
 * saveWeights / loadWeights: Keras 3 .weights.h5 files, in the layout Keras writes (compared
 * with the model.weights.h5 inside .keras files that Keras 3.15 wrote), round trips, and bad
 * paths and files refused before anything is written. Keras itself reading these files is
 * checked by `npm run check:keras-files` (Python).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { unzipSync } from 'fflate';
import { readH5Datasets } from '../../src/keras/h5_weights';
import { loadKerasModel } from '../../src/keras/load_keras_model';
import { Sequential } from '../../src/models/sequential';
import { Dense } from '../../src/layers/dense';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

const DIR = path.join(__dirname, '..', 'fixtures', 'keras_files');
const NAMES = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.keras'))
  .map((f) => f.replace(/\.keras$/, ''));

let tmp: string;

beforeAll(async () => {
  await useTestBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weights-files-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function kerasWeightsOf(
  name: string,
): Promise<Map<string, { shape: readonly number[]; data: Float32Array }>> {
  const members = unzipSync(new Uint8Array(fs.readFileSync(path.join(DIR, `${name}.keras`))));
  return readH5Datasets(members['model.weights.h5'], name);
}

describe("saveWeights writes Keras's layout", () => {
  for (const name of NAMES) {
    it(`${name}: the same datasets, shapes and values as Keras's own file`, async () => {
      const model = await loadKerasModel(path.join(DIR, `${name}.keras`));
      const file = path.join(tmp, `${name}.weights.h5`);
      await model.saveWeights(file);
      model.dispose();
      const ours = await readH5Datasets(fs.readFileSync(file), file);
      const keras = await kerasWeightsOf(name);
      expect([...ours.keys()].sort()).toEqual([...keras.keys()].sort());
      for (const [key, d] of keras) {
        const mine = ours.get(key);
        expect(mine?.shape).toEqual(d.shape);
        expect(Array.from(mine?.data ?? [])).toEqual(Array.from(d.data));
      }
    });
  }
});

describe('loadWeights', () => {
  it('round trip: changed weights come back, and predictions with them', async () => {
    const file = path.join(tmp, 'moved.weights.h5');
    const source = await loadKerasModel(path.join(DIR, 'embedding_bilstm.keras'));
    const moved = source.getWeights().map((w) => tf.tidy(() => tf.add(tf.mul(w, 1.5), 0.1)));
    source.setWeights(moved);
    await source.saveWeights(file);
    const x = tf.tensor2d([[3, 1, 4, 1, 0, 0]], undefined, 'int32');
    const expected = source.predict(x, { verbose: 0 });
    const target = await loadKerasModel(path.join(DIR, 'embedding_bilstm.keras'));
    await expectNoLeak(() => target.loadWeights(file));
    const got = target.predict(x, { verbose: 0 });
    expect(got).toBeAllClose(expected, 0, 0);
    tf.dispose([x, expected, got, ...moved]);
    source.dispose();
    target.dispose();
  });

  it('a compiled model gets the optimizer state back: the same next step', async () => {
    const file = path.join(tmp, 'adam.weights.h5');
    const ref = JSON.parse(fs.readFileSync(path.join(DIR, 'compiled_lstm_adam.json'), 'utf8')) as {
      x: number[][][];
      next: { y_train: number[][] };
    };
    const x = tf.tensor(ref.x);
    const y = tf.tensor(ref.next.y_train);
    const step = (m: Sequential): Promise<unknown> =>
      m.fit(x, y, { batchSize: ref.x.length, epochs: 1, shuffle: false, verbose: 0 });
    const first = await loadKerasModel(path.join(DIR, 'compiled_lstm_adam.keras'));
    await step(first);
    await first.saveWeights(file);
    await step(first);
    const second = await loadKerasModel(path.join(DIR, 'compiled_lstm_adam.keras'));
    await second.loadWeights(file);
    await step(second);
    const a = first.getWeights();
    const b = second.getWeights();
    a.forEach((w, i) => {
      expect(b[i]).toBeAllClose(w, 0, 0);
    });
    tf.dispose([x, y, ...a, ...b]);
    first.dispose();
    second.dispose();
  });

  it('an optimizer saved before its first step: iteration count and learning rate only', async () => {
    const file = path.join(tmp, 'fresh.weights.h5');
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    model.compile({ optimizer: { name: 'adam', learningRate: 0.02 }, loss: 'mse' });
    await model.saveWeights(file);
    const datasets = await readH5Datasets(fs.readFileSync(file), file);
    expect([...datasets.keys()].filter((k) => k.startsWith('optimizer/')).sort()).toEqual([
      'optimizer/vars/0',
      'optimizer/vars/1',
    ]);
    const again = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    again.compile({ optimizer: 'adam', loss: 'mse' });
    await again.loadWeights(file);
    expect(again.optimizer?.getConfig().learningRate).toBeCloseTo(0.02, 6);
    model.dispose();
    again.dispose();
  });

  it('an uncompiled model loads the weights and says the optimizer state was left', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const model = await loadKerasModel(path.join(DIR, 'compiled_gru_rmsprop.keras'), {
      compile: false,
    });
    const file = path.join(tmp, 'rmsprop.weights.h5');
    const compiled = await loadKerasModel(path.join(DIR, 'compiled_gru_rmsprop.keras'));
    await compiled.saveWeights(file);
    await model.loadWeights(file);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/optimizer's state; the model is not compiled/),
    );
    warn.mockRestore();
    model.dispose();
    compiled.dispose();
  });
});

describe('loadWeights: legacy .h5 files', () => {
  for (const name of NAMES) {
    it(`${name}: a legacy weights file and a legacy model file give Keras's predictions`, async () => {
      const ref = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as {
        x: number[];
        x_dtype: string;
        y: number[];
        tolerance: number;
      };
      const x = tf.tensor(ref.x, undefined, ref.x_dtype.startsWith('int') ? 'int32' : 'float32');
      for (const file of [`${name}.legacy_weights.h5`, `${name}.h5`]) {
        const model = await loadKerasModel(path.join(DIR, `${name}.keras`), { compile: false });
        const scrambled = model.getWeights().map((w) => tf.tidy(() => tf.add(tf.mul(w, -2), 1)));
        model.setWeights(scrambled);
        await expectNoLeak(() => model.loadWeights(path.join(DIR, file)));
        const y = model.predict(x, { verbose: 0 });
        expect(y).toBeAllClose(ref.y, ref.tolerance, 0);
        tf.dispose([y, ...scrambled]);
        model.dispose();
      }
      x.dispose();
    });
  }

  it('refused: weights for another model, and an .h5 file that is neither layout', async () => {
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    const before = model.getWeights();
    await expect(
      model.loadWeights(path.join(DIR, 'embedding_bilstm.legacy_weights.h5')),
    ).rejects.toThrow(
      /embedding_bilstm\.legacy_weights\.h5': the file holds weights for 3 layers \(embedding, bidirectional, dense_2\); the model has 1 layers with weights/,
    );
    const after = model.getWeights();
    after.forEach((w, i) => {
      expect(w).toBeAllClose(before[i].arraySync() as number[][], 0, 0);
    });
    const renamed = path.join(tmp, 'keras3.h5');
    await model.saveWeights(path.join(tmp, 'keras3.weights.h5'));
    fs.copyFileSync(path.join(tmp, 'keras3.weights.h5'), renamed);
    await expect(model.loadWeights(renamed)).rejects.toThrow(
      /not a legacy Keras weights or model file: no `layer_names` attribute/,
    );
    tf.dispose([...before, ...after]);
    model.dispose();
  });
});

describe('saveWeights and loadWeights refuse', () => {
  const dense = (): Sequential => new Sequential([new Dense({ units: 2, inputShape: [3] })]);

  it('a path that does not end in .weights.h5', async () => {
    const model = dense();
    await expect(model.saveWeights(path.join(tmp, 'm.h5'))).rejects.toThrow(
      /ending in \.weights\.h5/,
    );
    await expect(model.loadWeights(path.join(tmp, 'm.keras'))).rejects.toThrow(
      /ending in \.weights\.h5 \(Keras 3's weights\), or \.h5 \(legacy weights or model files\)/,
    );
    model.dispose();
  });

  it('a folder that does not exist, a target that is a folder, a missing file', async () => {
    const model = dense();
    await expect(model.saveWeights(path.join(tmp, 'nowhere', 'm.weights.h5'))).rejects.toThrow(
      /folder .*nowhere' of .* does not exist/,
    );
    const folder = path.join(tmp, 'folder.weights.h5');
    fs.mkdirSync(folder);
    await expect(model.saveWeights(folder)).rejects.toThrow(/exists and is not a file/);
    await expect(model.loadWeights(path.join(tmp, 'none.weights.h5'))).rejects.toThrow(/no file/);
    model.dispose();
  });

  it('an unbuilt model, before writing anything', async () => {
    const model = new Sequential([new Dense({ units: 2 })]);
    const file = path.join(tmp, 'unbuilt.weights.h5');
    await expect(model.saveWeights(file)).rejects.toThrow(/not built yet/);
    expect(fs.existsSync(file)).toBe(false);
    model.dispose();
  });

  it('weights of another model, naming the file, and changing nothing', async () => {
    const file = path.join(tmp, 'other.weights.h5');
    const other = await loadKerasModel(path.join(DIR, 'lstm_gru_stack.keras'));
    await other.saveWeights(file);
    other.dispose();
    const model = await loadKerasModel(path.join(DIR, 'simple_rnn_dense.keras'));
    const before = model.getWeights();
    await expect(model.loadWeights(file)).rejects.toThrow(/other\.weights\.h5/);
    const after = model.getWeights();
    after.forEach((w, i) => {
      expect(w).toBeAllClose(before[i], 0, 0);
    });
    tf.dispose([...before, ...after]);
    model.dispose();
  });

  it('a shape that does not fit, naming the layer, both shapes and the file', async () => {
    const file = path.join(tmp, 'narrow.weights.h5');
    const narrow = new Sequential([new Dense({ units: 2, inputShape: [3], name: 'head' })]);
    await narrow.saveWeights(file);
    const wide = new Sequential([new Dense({ units: 4, inputShape: [3], name: 'head' })]);
    await expect(wide.loadWeights(file)).rejects.toThrow(
      /narrow\.weights\.h5'.*'layers\/dense\/vars\/0' has shape \[3, ?2\].*Dense 'head'.*\[3, ?4\]/,
    );
    narrow.dispose();
    wide.dispose();
  });

  it('leaves no temporary file behind', () => {
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.saving-'))).toEqual([]);
  });
});
