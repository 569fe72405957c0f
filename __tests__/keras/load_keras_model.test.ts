/**
 * loadKerasModel against .keras files that Keras 3 wrote (python/keras_file_fixtures.py): the
 * same predictions as Keras, and every bad file refused with the file's name before anything is
 * built.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { loadKerasModel } from '../../src/keras/load_keras_model';
import {
  KERAS_FILES_DIR,
  KERAS_FILE_NAMES,
  type KerasFileReference,
  kerasFileReference,
} from '../helpers/keras_files';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

const DIR = KERAS_FILES_DIR;
const NAMES = KERAS_FILE_NAMES;
const reference = kerasFileReference;
type Reference = KerasFileReference;

async function expectSamePredictions(
  file: string,
  ref: Reference,
  compile?: boolean,
): Promise<void> {
  const model = await loadKerasModel(file, compile === undefined ? {} : { compile });
  const x = tf.tensor(ref.x, undefined, ref.x_dtype.startsWith('int') ? 'int32' : 'float32');
  const y = model.predict(x, { verbose: 0 });
  expect(y).toBeAllClose(ref.y, ref.tolerance, 0);
  tf.dispose([x, y]);
  model.dispose();
}

beforeAll(async () => {
  await useTestBackend();
});

describe('loadKerasModel: files Keras wrote', () => {
  it('finds the fixtures', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(5);
  });

  for (const name of NAMES) {
    it(`${name}: Keras's predictions`, async () => {
      const ref = reference(name);
      await expectNoLeak(() =>
        expectSamePredictions(
          path.join(DIR, `${name}.keras`),
          ref,
          ref.compiled ? false : undefined,
        ),
      );
    });
  }

  const compiledFiles = NAMES.filter((n) => reference(n).compiled).flatMap((n) => [
    `${n}.keras`,
    `${n}.h5`,
  ]);
  for (const file of compiledFiles) {
    it(`${file}: comes back compiled, and its next step is Keras's`, async () => {
      const name = file.replace(/\.(keras|h5)$/, '');
      const ref = reference(name);
      const next = ref.next;
      if (next === undefined) throw new Error(`${name}.json has no next step`);
      const before = tf.memory().numTensors;
      const model = await loadKerasModel(path.join(DIR, file));
      const x = tf.tensor(ref.x);
      const y = tf.tensor(next.y_train);
      await model.fit(x, y, { batchSize: ref.x.length, epochs: 1, shuffle: false, verbose: 0 });
      const weights = model.weights;
      expect(weights.length).toBe(next.weights.length);
      weights.forEach((w, i) => {
        const flat = w.read().reshape([-1]);
        expect(flat).toBeAllClose(next.weights[i], ref.tolerance, 0);
        flat.dispose();
      });
      tf.dispose([x, y]);
      model.dispose();
      // The optimizer and its slots go with the model.
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a compiled file with { compile: false } has no optimizer', async () => {
    const model = await loadKerasModel(path.join(DIR, 'compiled_lstm_adam.keras'), {
      compile: false,
    });
    expect(model.optimizer).toBeNull();
    model.dispose();
  });

  // The legacy model files (NAME.legacy_weights.h5 are weights only: weights_file.test.ts).
  for (const name of NAMES.map((n) => `${n}.h5`)) {
    it(`${name} (legacy .h5): Keras's predictions`, async () => {
      const ref = reference(name.replace(/\.h5$/, ''));
      await expectNoLeak(async () => {
        const model = await loadKerasModel(path.join(DIR, name), { compile: false });
        const x = tf.tensor(ref.x, undefined, ref.x_dtype.startsWith('int') ? 'int32' : 'float32');
        const y = model.predict(x, { verbose: 0 });
        expect(y).toBeAllClose(ref.y, ref.tolerance, 0);
        tf.dispose([x, y]);
        model.dispose();
      });
    });
  }

  it("a compiled file's summary counts the restored optimizer's variables, as Keras's does", async () => {
    // Keras 3.15: load_model('compiled_lstm_adam.keras').summary() ends with these lines
    // (and with compile=False, without the optimizer's).
    const lines: string[] = [];
    const model = await loadKerasModel(path.join(DIR, 'compiled_lstm_adam.keras'));
    model.summary((line) => lines.push(line));
    expect(lines.slice(-4)).toEqual([
      ' Total params: 230 (924.00 B)',
      ' Trainable params: 76 (304.00 B)',
      ' Non-trainable params: 0 (0.00 B)',
      ' Optimizer params: 154 (620.00 B)',
    ]);
    model.dispose();
    const bare = await loadKerasModel(path.join(DIR, 'compiled_lstm_adam.keras'), {
      compile: false,
    });
    lines.length = 0;
    bare.summary((line) => lines.push(line));
    expect(lines.at(-1)).toBe(' Non-trainable params: 0 (0.00 B)');
    bare.dispose();
  });

  it("keeps Keras's model and layer names", async () => {
    const model = await loadKerasModel(path.join(DIR, 'simple_rnn_dense.keras'));
    expect(model.name).toBe('simple_rnn_dense');
    expect(model.layers.map((l) => l.name)[0]).toBe('memory');
    model.dispose();
  });
});

describe('loadKerasModel: bad files and options', () => {
  let tmp: string;
  const good = (name: string): Uint8Array =>
    new Uint8Array(fs.readFileSync(path.join(DIR, `${name}.keras`)));
  const write = (name: string, bytes: Uint8Array): string => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const refused = async (file: string, message: RegExp, options = {}): Promise<void> => {
    await expectNoLeak(async () => {
      await expect(loadKerasModel(file, options)).rejects.toThrow(message);
    });
  };

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-files-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a missing file', async () => {
    await refused(path.join(tmp, 'nothing.keras'), /no file '.*nothing\.keras'/);
  });

  it('a folder', async () => {
    const folder = path.join(tmp, 'folder.keras');
    fs.mkdirSync(folder);
    await refused(folder, /'.*folder\.keras' is not a file/);
  });

  it('not a zip', async () => {
    await refused(
      write('text.keras', strToU8('not a zip at all')),
      /text\.keras' is not a Keras 3 \.keras file/,
    );
  });

  it('a truncated archive', async () => {
    const bytes = good('lstm_gru_stack');
    await refused(
      write('cut.keras', bytes.slice(0, bytes.length >> 1)),
      /cut\.keras' is not a Keras 3/,
    );
  });

  it('a Functional model that is not a plain chain, naming why', async () => {
    const members = unzipSync(good('functional_chain'));
    const config = JSON.parse(new TextDecoder().decode(members['config.json'])) as {
      config: {
        layers: { inbound_nodes: { args: { config: { keras_history: unknown[] } }[] }[] }[];
      };
    };
    // The GRU reads the input instead of the LSTM's output: a branch, not a chain.
    config.config.layers[2].inbound_nodes[0].args[0].config.keras_history[0] = 'input_layer';
    await refused(
      write(
        'branch.keras',
        zipSync({ ...members, 'config.json': strToU8(JSON.stringify(config)) }),
      ),
      /branch\.keras': holds a Functional model that is not a plain chain \(layer "gru_\d+" does not take exactly the output of 'lstm_\d+'\)/,
    );
  });

  it('a zip without config.json, and one without its weights', async () => {
    const members = unzipSync(good('simple_rnn_dense'));
    const { 'config.json': _config, ...noConfig } = members;
    await refused(
      write('noconfig.keras', zipSync(noConfig)),
      /noconfig\.keras' has no config\.json/,
    );
    const { 'model.weights.h5': _weights, ...noWeights } = members;
    await refused(
      write('noweights.keras', zipSync(noWeights)),
      /noweights\.keras' has no model\.weights\.h5/,
    );
  });

  it('weights that do not fit the model, naming the layer and both shapes', async () => {
    const config = unzipSync(good('lstm_gru_stack'))['config.json'];
    const other = unzipSync(good('simple_rnn_dense'));
    const mixed = write('mixed.keras', zipSync({ ...other, 'config.json': config }));
    await refused(mixed, /mixed\.keras'.*(shape|weights)/);
  });

  it('a layer class the package does not have, by name', async () => {
    const members = unzipSync(good('simple_rnn_dense'));
    const text = new TextDecoder()
      .decode(members['config.json'])
      .replaceAll('"SimpleRNN"', '"ConvLSTM1D"');
    await refused(
      write('conv.keras', zipSync({ ...members, 'config.json': strToU8(text) })),
      /ConvLSTM1D/,
    );
  });

  it('optimizer state that does not fit the optimizer', async () => {
    const members = unzipSync(good('compiled_lstm_adam'));
    const config = JSON.parse(new TextDecoder().decode(members['config.json'])) as {
      compile_config: { optimizer: unknown };
    };
    // SGD with momentum has one slot a weight; the file holds Adam's two.
    config.compile_config.optimizer = { class_name: 'SGD', config: { momentum: 0.9 } };
    const file = write(
      'sgd.keras',
      zipSync({ ...members, 'config.json': strToU8(JSON.stringify(config)) }),
    );
    await refused(file, /sgd\.keras'.*holds 12 optimizer variables; SGD .* has 7/);
  });

  it('a weights file or another suffix, a missing .h5 file, and unknown or snake_case options', async () => {
    await refused(path.join(tmp, 'model.weights.h5'), /ending in \.keras or \.h5.*loadWeights/);
    await refused(path.join(tmp, 'model.json'), /ending in \.keras or \.h5/);
    await refused(path.join(tmp, 'model.h5'), /no file '.*model\.h5'/);
    const file = path.join(DIR, 'simple_rnn_dense.keras');
    await refused(file, /compiled/, { compiled: false });
    await refused(file, /custom_objects/, { custom_objects: {} });
  });
});
