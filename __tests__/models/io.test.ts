import { expect } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useTestBackend } from '../helpers/tensors';
import { Dense, Dropout, Embedding, SimpleRNN, StackedRNN } from '../../src/index';
import { Sequential } from '../../src/models/sequential';
import { saveModel } from '../../src/models/io';

let root = '';

beforeAll(async () => {
  await useTestBackend();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-keras-rnn-io-'));
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** A fresh empty directory to save into (as a parent). */
function scratch(): string {
  return fs.mkdtempSync(path.join(root, 'case-'));
}

function summaryOf(model: Sequential): string {
  return model.summaryText({ lineLength: 76 });
}

describe('save / load round trip', () => {
  it.each([
    [
      'the stock model',
      () =>
        new Sequential([
          new SimpleRNN({ units: 8, returnSequences: true, inputShape: [6, 1] }),
          new Dropout({ rate: 0.2 }),
          new SimpleRNN({ units: 5, activation: 'relu' }),
          new Dense({ units: 1 }),
        ]),
      () => tf.randomNormal([3, 6, 1]),
    ],
    [
      'an Embedding into a StackedRNN',
      () =>
        new Sequential([
          new Embedding({ inputDim: 7, outputDim: 3, inputShape: [5] }),
          new StackedRNN({ cells: [{ units: 4 }, { units: 2 }] }),
          new Dense({ units: 7, activation: 'softmax' }),
        ]),
      () =>
        tf.tensor2d([
          [0, 1, 2, 3, 6],
          [6, 5, 4, 3, 2],
        ]),
    ],
    [
      'a model built from the data (no inputShape)',
      () => {
        const model = new Sequential([new SimpleRNN({ units: 3 }), new Dense({ units: 2 })]);
        model.build([null, 4, 2]);
        return model;
      },
      () => tf.randomNormal([2, 4, 2]),
    ],
  ])('%s: same layers, same summary, same predictions', async (_what, make, input) => {
    const model = make();
    const x = input();
    const dir = path.join(scratch(), 'model');
    await model.save(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(json.format).toBe('layers-model');
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['modelTopology', 'weightsManifest']));
    const loaded = await Sequential.load(dir);
    expect(loaded.name).toBe(model.name);
    expect(loaded.layers.map((l) => l.constructor)).toEqual(model.layers.map((l) => l.constructor));
    expect(summaryOf(loaded)).toBe(summaryOf(model));
    expect(loaded.predict(x, { verbose: 0 })).toBeAllClose(model.predict(x, { verbose: 0 }), 0);
    model.dispose();
    loaded.dispose();
  });

  it('a loaded model trains on', async () => {
    const model = new Sequential([
      new SimpleRNN({ units: 3, inputShape: [4, 2] }),
      new Dense({ units: 1 }),
    ]);
    const dir = path.join(scratch(), 'model');
    await model.save(dir);
    const loaded = await Sequential.load(dir);
    loaded.compile({ optimizer: 'sgd', loss: 'mse' });
    const history = await loaded.fit(tf.ones([4, 4, 2]), tf.ones([4, 1]), {
      epochs: 2,
      verbose: 0,
    });
    expect(history.history.loss).toHaveLength(2);
    model.dispose();
    loaded.dispose();
  });

  it('a second save replaces the first', async () => {
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    const dir = path.join(scratch(), 'model');
    await model.save(dir);
    model.setWeights([tf.ones([3, 2]), tf.ones([2])]);
    await model.save(dir);
    const loaded = await Sequential.load(dir);
    expect(loaded.getWeights()[0]).toBeAllClose(tf.ones([3, 2]));
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['model']);
    model.dispose();
    loaded.dispose();
  });
});

describe('a failed save leaves nothing behind', () => {
  it('a write that fails leaves no directory and no temporary files', async () => {
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    const parent = scratch();
    const dir = path.join(parent, 'model');
    const writeFile = fs.promises.writeFile;
    jest.spyOn(fs.promises, 'writeFile').mockImplementation(async (file, data) => {
      if (typeof file === 'string' && file.endsWith('model.json'))
        throw new Error('ENOSPC: no space left on device');
      return writeFile(file, data);
    });
    await expect(model.save(dir)).rejects.toThrow(
      /Sequential\.save: could not write the model to .*model: ENOSPC: no space left on device/,
    );
    expect(fs.readdirSync(parent)).toEqual([]);
    model.dispose();
  });

  it('a failed save over a previous one keeps the previous one whole', async () => {
    const model = new Sequential([
      new Dense({ units: 2, inputShape: [3], kernelInitializer: 'zeros' }),
    ]);
    const parent = scratch();
    const dir = path.join(parent, 'model');
    await model.save(dir);
    model.setWeights([tf.ones([3, 2]), tf.ones([2])]);
    const writeFile = fs.promises.writeFile;
    jest.spyOn(fs.promises, 'writeFile').mockImplementation(async (file, data) => {
      if (typeof file === 'string' && file.endsWith('weights.bin'))
        throw new Error('EIO: i/o error');
      return writeFile(file, data);
    });
    await expect(model.save(dir)).rejects.toThrow(
      /could not write the model to .*: EIO: i\/o error/,
    );
    jest.restoreAllMocks();
    expect(fs.readdirSync(parent)).toEqual(['model']);
    const loaded = await Sequential.load(dir);
    expect(loaded.getWeights()[0]).toBeAllClose(tf.zeros([3, 2]));
    model.dispose();
    loaded.dispose();
  });

  it.each([
    [
      'a directory holding other files',
      (dir: string) => {
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
      },
      /refusing to replace .*: it holds files other than a saved model \(notes\.txt\)/,
    ],
    [
      'a file',
      (dir: string) => {
        fs.writeFileSync(dir, 'x');
      },
      /exists and is not a directory/,
    ],
    [
      'a file among its parents',
      (dir: string) => {
        fs.writeFileSync(path.dirname(path.dirname(dir)), 'x');
      },
      /cannot save to .*: .*not-a-folder is a file, not a directory\./,
    ],
  ])('refuses to save over %s', async (what, setup, message) => {
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    const parent = scratch();
    const dir =
      what === 'a file among its parents'
        ? path.join(parent, 'not-a-folder', 'sub', 'model')
        : path.join(parent, 'model');
    setup(dir);
    const before = fs.readdirSync(parent);
    await expect(model.save(dir)).rejects.toThrow(message);
    expect(fs.readdirSync(parent)).toEqual(before);
    model.dispose();
  });

  it('creates missing parent folders, as tfjs does', async () => {
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    const dir = path.join(scratch(), 'runs', '2026-12-07', 'model');
    await model.save(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await Sequential.load(dir);
    expect(loaded.getWeights().map((w) => w.shape)).toEqual([[3, 2], [2]]);
    loaded.dispose();
    model.dispose();
  });

  it('refuses a model that is not built, and a bad path', async () => {
    const unbuilt = new Sequential([new Dense({ units: 2 })]);
    await expect(unbuilt.save(path.join(scratch(), 'm'))).rejects.toThrow(
      /is not built yet; give the first layer an inputShape/,
    );
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    await expect(model.save('')).rejects.toThrow(/expected a directory path, received ""/);
    model.dispose();
  });
});

describe('load errors name the path', () => {
  async function saved(): Promise<string> {
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    const dir = path.join(scratch(), 'model');
    await model.save(dir);
    model.dispose();
    return dir;
  }

  it.each([
    [
      'a missing directory',
      (dir: string) => {
        fs.rmSync(dir, { recursive: true });
      },
      /Sequential\.load: cannot read .*model\/model\.json: ENOENT/,
    ],
    [
      'a model.json that is not JSON',
      (dir: string) => {
        fs.writeFileSync(path.join(dir, 'model.json'), '{oops');
      },
      /model\.json is not valid JSON/,
    ],
    [
      'a model.json without topology',
      (dir: string) => {
        fs.writeFileSync(path.join(dir, 'model.json'), '{"a": 1}');
      },
      /model\.json is not a tfjs layers model: expected 'modelTopology' and 'weightsManifest'/,
    ],
    [
      'a missing weights.bin',
      (dir: string) => {
        fs.rmSync(path.join(dir, 'weights.bin'));
      },
      /cannot read .*weights\.bin: ENOENT/,
    ],
    [
      'a truncated weights.bin',
      (dir: string) => {
        fs.truncateSync(path.join(dir, 'weights.bin'), 8);
      },
      /the weights of .* hold 8 bytes, but model\.json describes 32/,
    ],
  ])('%s', async (_what, damage, message) => {
    const dir = await saved();
    damage(dir);
    await expect(Sequential.load(dir)).rejects.toThrow(message);
  });

  it('a functional model is not a Sequential', async () => {
    const input = tf.input({ shape: [3] });
    const output = new Dense({ units: 2 }).apply(input) as tf.SymbolicTensor;
    const functional = tf.model({ inputs: input, outputs: output });
    const dir = path.join(scratch(), 'model');
    await saveModel('test', functional, dir);
    await expect(Sequential.load(dir)).rejects.toThrow(
      /holds a Model model; only Sequential models load as Sequential/,
    );
    functional.dispose();
  });
});
