/**
 * model.save('m.keras'): the file is the one Keras 3.15 writes for the same model (config.json
 * compared with the fixtures Keras wrote, members stored in Keras's order), it loads back with
 * the same predictions and the same next training step as Keras's, and every bad call is refused
 * before anything is written. (Keras itself loading these files: npm run check:keras-files.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { unzipSync } from 'fflate';
import { lossFromKeras, lossToKeras } from '../../src/keras/keras_losses';
import { loadKerasModel } from '../../src/keras/load_keras_model';
import { Dense } from '../../src/layers/dense';
import { Embedding } from '../../src/layers/embedding';
import { GRU } from '../../src/layers/rnn/gru';
import { LSTM } from '../../src/layers/rnn/lstm';
import { SimpleRNN } from '../../src/layers/rnn/simple_rnn';
import { Sequential } from '../../src/models/sequential';
import { KERAS_FILES_DIR, KERAS_FILE_NAMES, kerasFileReference } from '../helpers/keras_files';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

const DIR = KERAS_FILES_DIR;
const NAMES = KERAS_FILE_NAMES;
const reference = kerasFileReference;
let tmp = '';

/** config.json without what names objects rather than describes them. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    // Keras's ids of shared objects in one process, and its global counters' names for the
    // input and a cells container (`input_layer_4`, `stacked_rnn_cells_1`).
    if (key === 'shared_object_id') continue;
    const inner = v as { class_name?: string };
    if (key === 'name' && typeof v === 'string' && /^(input_layer|stacked_rnn_cells)/.test(v)) {
      continue;
    }
    if (key === 'name' && typeof v === 'string' && v.endsWith('_input')) continue;
    out[key] = comparable(inner);
  }
  return out;
}

function members(file: string): Record<string, Uint8Array> {
  return unzipSync(fs.readFileSync(file));
}

function configOf(file: string): unknown {
  return JSON.parse(new TextDecoder().decode(members(file)['config.json']));
}

beforeAll(async () => {
  await useTestBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'save-keras-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('model.save(".keras"): what Keras writes', () => {
  for (const name of NAMES) {
    it(`${name}: config.json is Keras's, and the file loads back with Keras's predictions`, async () => {
      const ref = reference(name);
      const file = path.join(tmp, `${name}.keras`);
      await expectNoLeak(async () => {
        const model = await loadKerasModel(path.join(DIR, `${name}.keras`));
        await model.save(file);
        model.dispose();
        const keras = configOf(path.join(DIR, `${name}.keras`)) as { class_name: string };
        // A Functional chain loads as a Sequential, and is saved as one.
        if (keras.class_name === 'Sequential') {
          expect(comparable(configOf(file))).toEqual(comparable(keras));
        }
        const back = await loadKerasModel(file, ref.compiled ? { compile: false } : {});
        const x = tf.tensor(ref.x, undefined, ref.x_dtype.startsWith('int') ? 'int32' : 'float32');
        const y = back.predict(x, { verbose: 0 });
        expect(y).toBeAllClose(ref.y, ref.tolerance, 0);
        tf.dispose([x, y]);
        back.dispose();
      });
    });
  }

  it('stores metadata.json, config.json and model.weights.h5, uncompressed, in that order', async () => {
    const model = await loadKerasModel(path.join(DIR, 'simple_rnn_dense.keras'));
    const file = path.join(tmp, 'order.keras');
    await model.save(file);
    model.dispose();
    const bytes = fs.readFileSync(file);
    const names: string[] = [];
    // Local file headers: signature, then the compression method at offset 8 (0 = stored).
    for (let at = 0; bytes.readUInt32LE(at) === 0x04034b50;) {
      expect(bytes.readUInt16LE(at + 8)).toBe(0);
      const size = bytes.readUInt32LE(at + 18);
      const nameLength = bytes.readUInt16LE(at + 26);
      const extra = bytes.readUInt16LE(at + 28);
      names.push(bytes.subarray(at + 30, at + 30 + nameLength).toString());
      at += 30 + nameLength + extra + size;
    }
    expect(names).toEqual(['metadata.json', 'config.json', 'model.weights.h5']);
    const metadata = JSON.parse(new TextDecoder().decode(members(file)['metadata.json'])) as {
      keras_version: string;
      date_saved: string;
    };
    expect(metadata.keras_version).toBe('3.15.1');
    expect(metadata.date_saved).toMatch(/^\d{4}-\d{2}-\d{2}@\d{2}:\d{2}:\d{2}$/);
  });

  for (const name of NAMES.filter((n) => reference(n).compiled)) {
    it(`${name}: saved after loading, the optimizer's state comes back and the next step is Keras's`, async () => {
      const ref = reference(name);
      const next = ref.next;
      if (next === undefined) throw new Error(`${name}.json has no next step`);
      const file = path.join(tmp, `${name}.again.keras`);
      const model = await loadKerasModel(path.join(DIR, `${name}.keras`));
      await model.save(file);
      model.dispose();
      const back = await loadKerasModel(file);
      const x = tf.tensor(ref.x);
      const y = tf.tensor(next.y_train);
      await back.fit(x, y, { batchSize: ref.x.length, epochs: 1, shuffle: false, verbose: 0 });
      back.weights.forEach((w, i) => {
        const flat = w.read().reshape([-1]);
        expect(flat).toBeAllClose(next.weights[i], ref.tolerance, 0);
        flat.dispose();
      });
      tf.dispose([x, y]);
      back.dispose();
    });
  }
});

describe('model.save(".keras"): models built here', () => {
  it('a loss with options and metrics come back as compiled', async () => {
    const model = new Sequential([
      new Embedding({ inputDim: 10, outputDim: 3, maskZero: true, inputShape: [4] }),
      new GRU({ units: 2 }),
      new Dense({ units: 3 }),
    ]);
    model.compile({
      optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9 },
      loss: { name: 'sparse_categorical_crossentropy', fromLogits: true },
      metrics: ['accuracy'],
    });
    const x = tf.tensor2d(
      [
        [1, 2, 0, 0],
        [3, 4, 5, 6],
      ],
      undefined,
      'int32',
    );
    const y = tf.tensor1d([0, 2]);
    await model.fit(x, y, { batchSize: 2, epochs: 1, verbose: 0 });
    const file = path.join(tmp, 'logits.keras');
    await model.save(file);
    const config = configOf(file) as { compile_config: Record<string, unknown> };
    expect(config.compile_config.loss).toEqual({
      module: 'keras.losses',
      class_name: 'SparseCategoricalCrossentropy',
      config: {
        name: 'sparse_categorical_crossentropy',
        reduction: 'sum_over_batch_size',
        from_logits: true,
        ignore_class: null,
      },
      registered_name: null,
    });
    expect(config.compile_config.metrics).toEqual(['accuracy']);
    const back = await loadKerasModel(file);
    expect(back.compileState?.loss.fromLogits).toBe(true);
    expect(back.compileState?.metrics).toEqual(['accuracy']);
    expect(back.compileState?.optimizerClass).toBe('SGD');
    const [a, b] = [model.predict(x, { verbose: 0 }), back.predict(x, { verbose: 0 })];
    expect(b).toBeAllClose(a.arraySync() as number[][], 0, 0);
    // The same next step from the same state.
    await model.fit(x, y, { batchSize: 2, epochs: 1, shuffle: false, verbose: 0 });
    await back.fit(x, y, { batchSize: 2, epochs: 1, shuffle: false, verbose: 0 });
    model.weights.forEach((w, i) => {
      const [want, got] = [w.read().reshape([-1]), back.weights[i].read().reshape([-1])];
      expect(got).toBeAllClose(Array.from(want.dataSync()), 0, 0);
      tf.dispose([want, got]);
    });
    tf.dispose([x, y, a, b]);
    model.dispose();
    back.dispose();
  });

  it('a stateful layer keeps its batch shape', async () => {
    const model = new Sequential([
      new LSTM({ units: 2, stateful: true, batchInputShape: [3, 4, 1] }),
      new Dense({ units: 1 }),
    ]);
    const file = path.join(tmp, 'stateful.keras');
    await model.save(file);
    model.dispose();
    const config = configOf(file) as {
      config: { layers: { config: { batch_shape?: unknown; stateful?: boolean } }[] };
    };
    expect(config.config.layers[0].config.batch_shape).toEqual([3, 4, 1]);
    expect(config.config.layers[1].config.stateful).toBe(true);
    const back = await loadKerasModel(file);
    expect(back.inputShape).toEqual([3, 4, 1]);
    back.dispose();
  });

  it('tfjs initializers are written as the Keras initializers that draw the same way', async () => {
    const model = new Sequential([
      new Dense({
        units: 2,
        inputShape: [3],
        kernelInitializer: tf.initializers.glorotNormal({}),
        biasInitializer: tf.initializers.constant({ value: 0.5 }),
      }),
    ]);
    const file = path.join(tmp, 'initializers.keras');
    await model.save(file);
    model.dispose();
    const dense = (configOf(file) as { config: { layers: { config: Record<string, unknown> }[] } })
      .config.layers[1].config;
    expect(dense.kernel_initializer).toMatchObject({
      class_name: 'VarianceScaling',
      config: { mode: 'fan_avg', distribution: 'truncated_normal' },
    });
    const scale = (dense.kernel_initializer as { config: { scale: number } }).config.scale;
    // tfjs truncates without Keras's 0.8796 stddev correction: Keras's scale is tfjs's times its square.
    expect(scale).toBeCloseTo(0.8796256610342398 ** 2, 12);
    expect(dense.bias_initializer).toMatchObject({
      class_name: 'Constant',
      config: { value: 0.5 },
    });
  });
});

describe('model.save: refused before anything is written', () => {
  const simple = (): Sequential =>
    new Sequential([new SimpleRNN({ units: 2, inputShape: [3, 1] }), new Dense({ units: 1 })]);

  it('HDF5 paths, a missing folder, a folder in the way, and a model not built', async () => {
    const model = simple();
    await expect(model.save(path.join(tmp, 'm.h5'))).rejects.toThrow(
      /writing legacy HDF5 model files .*m\.h5.* not built; save to a path ending in \.keras/,
    );
    await expect(model.save(path.join(tmp, 'm.weights.h5'))).rejects.toThrow(
      /names a weights file; write it with saveWeights/,
    );
    await expect(model.save(path.join(tmp, 'nowhere', 'm.keras'))).rejects.toThrow(
      /the folder .*nowhere.* does not exist/,
    );
    fs.mkdirSync(path.join(tmp, 'taken.keras'));
    await expect(model.save(path.join(tmp, 'taken.keras'))).rejects.toThrow(
      /taken\.keras' exists and is not a file/,
    );
    model.dispose();
    const unbuilt = new Sequential([new Dense({ units: 1 })]);
    await expect(unbuilt.save(path.join(tmp, 'unbuilt.keras'))).rejects.toThrow(/not built yet/);
    expect(fs.existsSync(path.join(tmp, 'unbuilt.keras'))).toBe(false);
  });

  it('a function loss or metric, and a tfjs optimizer, keep an earlier file intact', async () => {
    const file = path.join(tmp, 'kept.keras');
    const model = simple();
    await model.save(file);
    const before = fs.readFileSync(file);
    const myLoss = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sub(a, b).square();
    model.compile({ optimizer: 'adam', loss: myLoss });
    await expect(model.save(file)).rejects.toThrow(
      /loss is a function \('myLoss'\).*compile with a Keras loss name/,
    );
    model.compile({ optimizer: 'adam', loss: 'mse', metrics: [myLoss] });
    await expect(model.save(file)).rejects.toThrow(/the metric 'myLoss' is a function/);
    const sgd = tf.train.sgd(0.1);
    model.compile({ optimizer: sgd, loss: 'mse' });
    await expect(model.save(file)).rejects.toThrow(
      /optimizer \(SGD\) is not one of this package's/,
    );
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.saving-'))).toEqual([]);
    model.dispose();
    sgd.dispose();
  });
});

describe('compile_config losses', () => {
  it('Keras loss objects read back as compile arguments, and options are written as Keras writes them', () => {
    const bce = lossToKeras(
      't',
      { name: 'binary_crossentropy', fromLogits: true, labelSmoothing: 0.1 },
      'binary_crossentropy',
    );
    expect(bce).toEqual({
      module: 'keras.losses',
      class_name: 'BinaryCrossentropy',
      config: {
        name: 'binary_crossentropy',
        reduction: 'sum_over_batch_size',
        from_logits: true,
        label_smoothing: 0.1,
        axis: -1,
      },
      registered_name: null,
    });
    expect(lossFromKeras('t', bce)).toEqual({
      name: 'binary_crossentropy',
      fromLogits: true,
      labelSmoothing: 0.1,
    });
    expect(lossToKeras('t', 'mse', 'mean_squared_error')).toBe('mse');
    expect(lossToKeras('t', 'meanSquaredError', 'mean_squared_error')).toBe('mean_squared_error');
    const huber = lossToKeras('t', { name: 'huber', delta: 2 }, 'huber');
    expect(lossFromKeras('t', huber)).toEqual({ name: 'huber', delta: 2 });
    expect(() =>
      lossFromKeras('t', {
        class_name: 'MeanSquaredError',
        config: { name: 'mean_squared_error', reduction: 'sum' },
      }),
    ).toThrow(/MeanSquaredError `reduction` = "sum"; expected 'sum_over_batch_size'/);
    expect(() => lossFromKeras('t', { class_name: 'CTC', config: {} })).toThrow(
      /loss class 'CTC' is not supported/,
    );
  });
});
