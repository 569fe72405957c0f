/**
 * GradientNormLogger: the norms it records are those of Keras's gradients (the fixtures'
 * `gradients` sections, written by Keras from a `tf.GradientTape`), on fit's tfjs step and
 * where fit's resident step would run; they are the norms before clipping, and recording them
 * changes no weight; `every`, the history's epoch means, the CSV file, bad options, no leaks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { GradientNormLogger, type GradientNormRecord } from '../../src/callbacks';
import { pythonFloat } from '../../src/callbacks/python_format';
import { modelFromFixture } from '../../src/keras/compare';
import { fixtureTensor, readFixtureFile } from '../../src/keras/fixture';
import { modelInput } from '../../src/keras/replay_gradients';
import { readGradientsSection } from '../../src/keras/sections';
import { useWasmKernel } from '../../src/kernels/kernel_choice';
import { WasmStackTrainer } from '../../src/kernels/wasm/stack_trainer';
import { Dense } from '../../src/layers/dense';
import { Embedding } from '../../src/layers/embedding';
import { SimpleRNN } from '../../src/layers/rnn/simple_rnn';
import { type CompileArgs } from '../../src/models/compile';
import { RESIDENT_ENV_VAR } from '../../src/models/resident_training';
import { Sequential } from '../../src/models/sequential';
import { SGD } from '../../src/optimizers/sgd';
import { pseudoRandom } from '../helpers/reference_rnn';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

let tmp = '';

beforeAll(async () => {
  await useTestBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grad-norms-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  delete process.env.TFJS_KERAS_RNN_RESIDENT;
  jest.restoreAllMocks();
});

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'keras');

/** The global and per-layer norms of Keras's gradients (layer: the path's second part). */
function kerasNorms(grads: readonly { name: string; data: readonly number[] }[]): {
  global: number;
  layers: Record<string, number>;
} {
  const squared: Record<string, number> = {};
  let total = 0;
  for (const g of grads) {
    const sum = g.data.reduce((s, v) => s + v * v, 0);
    total += sum;
    const layer = g.name.split('/')[1] ?? g.name;
    squared[layer] = (squared[layer] ?? 0) + sum;
  }
  const layers = Object.fromEntries(Object.entries(squared).map(([k, v]) => [k, Math.sqrt(v)]));
  return { global: Math.sqrt(total), layers };
}

function expectClose(got: number | undefined, want: number, rtol: number): void {
  expect(got).toBeDefined();
  expect(Math.abs((got ?? Number.NaN) - want)).toBeLessThanOrEqual(rtol * Math.abs(want));
}

describe("against Keras's gradients (the fixtures' gradients sections)", () => {
  // Fixtures without dropout; the last model is the stock shape (SimpleRNN(seq) -> SimpleRNN
  // -> Dense(1), mse, plain Adam), which fit trains on its resident path on wasm.
  it.each([
    ['grad_simple_rnn_sigmoid_binary_ce', false],
    ['mask_masking_neg1_dense_lstm_zero_output', false],
    ['simple_rnn_stacked2_dense1', true],
  ])('%s: the recorded global and per-layer norms are Keras', async (name, stock) => {
    const fixture = readFixtureFile(path.join(FIXTURES, `${name}.json`));
    const section = readGradientsSection(fixture);
    const built = modelFromFixture(fixture);
    const model = new Sequential(built.layers.map((l) => l.layer));
    const owned: tf.Tensor[] = [];
    const step = jest.spyOn(WasmStackTrainer.prototype, 'step');
    try {
      model.compile({
        optimizer: 'adam',
        loss: { name: section.loss, fromLogits: section.fromLogits },
      });
      const xRaw = fixtureTensor(section.x);
      const x = modelInput(built, xRaw);
      const y = fixtureTensor(section.y);
      owned.push(xRaw, x, y);
      const n = x.shape[0] ?? 0;
      // The stock model sees x twice: batch 0 (recorded) is Keras's batch, batch 1 (not
      // recorded, every: 2) is a resident step, which shows that the resident path was on.
      const twice = stock ? [tf.concat([x, x]), tf.concat([y, y])] : [x, y];
      owned.push(...twice);
      const logger = new GradientNormLogger({ every: 2 });
      await model.fit(twice[0], twice[1], {
        batchSize: n,
        epochs: 1,
        shuffle: false,
        verbose: 0,
        callbacks: [logger],
      });
      expect(step.mock.calls.length).toBe(stock && useWasmKernel() ? 1 : 0);
      const want = kerasNorms(section.grads);
      expect(logger.records.map((r) => [r.epoch, r.batch])).toEqual([[0, 0]]);
      const [record] = logger.records as [GradientNormRecord];
      expectClose(record.global, want.global, 1e-4);
      expect(Object.keys(record.layers).sort()).toEqual(Object.keys(want.layers).sort());
      for (const [layer, norm] of Object.entries(want.layers)) {
        expectClose(record.layers[layer], norm, 1e-4);
      }
    } finally {
      tf.dispose(owned);
      model.dispose();
      built.model.dispose();
    }
  });
});

/** Layer names of the stock model: the same in every copy of it. */
const STOCK_LAYERS = ['encoder', 'decoder', 'head'];

/** A SimpleRNN(seq) -> SimpleRNN -> Dense(1) model (the stock shape) with fixed weights. */
function stockModel(compile: CompileArgs): Sequential {
  const [encoder, decoder, head] = STOCK_LAYERS;
  const m = new Sequential([
    new SimpleRNN({ units: 4, returnSequences: true, inputShape: [5, 2], name: encoder }),
    new SimpleRNN({ units: 3, name: decoder }),
    new Dense({ units: 1, name: head }),
  ]);
  m.setWeights(
    m.getWeights().map((w, i) => {
      const values = pseudoRandom(w.size, 11 + i).map((v) => v * 0.8);
      const t = tf.tensor(values, w.shape);
      w.dispose();
      return t;
    }),
  );
  m.compile(compile);
  return m;
}

function stockData(samples: number): { x: tf.Tensor; y: tf.Tensor } {
  return {
    x: tf.tensor3d(pseudoRandom(samples * 10, 3), [samples, 5, 2]),
    y: tf.tensor2d(pseudoRandom(samples, 4), [samples, 1]),
  };
}

function weightValues(m: Sequential): Float32Array[] {
  return m.getWeights().map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return v;
  });
}

/** Fits a fresh stock model; its records (with a logger) and its weights after. */
async function fitStock(
  compile: () => CompileArgs,
  logger: GradientNormLogger | null,
  epochs = 1,
): Promise<{ records: GradientNormRecord[]; weights: Float32Array[]; residentSteps: number }> {
  const m = stockModel(compile());
  const { x, y } = stockData(16);
  const step = jest.spyOn(WasmStackTrainer.prototype, 'step');
  try {
    await m.fit(x, y, {
      batchSize: 4,
      epochs,
      shuffle: false,
      verbose: 0,
      callbacks: logger === null ? [] : [logger],
    });
    return {
      records: logger?.records.slice() ?? [],
      weights: weightValues(m),
      residentSteps: step.mock.calls.length,
    };
  } finally {
    step.mockRestore();
    tf.dispose([x, y]);
    m.dispose();
  }
}

describe('the steps it records', () => {
  it('clipnorm: the norms are those before clipping, and the weights those of a run without it', async () => {
    const clipped = (): CompileArgs => ({
      optimizer: new SGD({ learningRate: 0.1, clipnorm: 1e-3 }),
      loss: 'mse',
    });
    const logger = new GradientNormLogger();
    const withLogger = await fitStock(clipped, logger);
    const without = await fitStock(clipped, null);
    expect(withLogger.weights).toEqual(without.weights);
    // The first batch's gradients, from the same weights, without clipping.
    const plain = await fitStock(
      () => ({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse' }),
      new GradientNormLogger(),
    );
    const [first] = withLogger.records as [GradientNormRecord];
    const [reference] = plain.records as [GradientNormRecord];
    expect(first.global).toBe(reference.global);
    expect(first.layers).toEqual(reference.layers);
    for (const norm of Object.values(first.layers)) expect(norm).toBeGreaterThan(1e-2);
    expect(withLogger.records).toHaveLength(4);
  });

  it('on the resident path: recorded batches run as tfjs steps, the others stay resident, and the numbers are those of tfjs steps only', async () => {
    const adam = (): CompileArgs => ({ optimizer: 'adam', loss: 'mse' });
    const mixed = await fitStock(adam, new GradientNormLogger({ every: 2 }), 2);
    process.env[RESIDENT_ENV_VAR] = 'off';
    const tfjs = await fitStock(adam, new GradientNormLogger({ every: 2 }), 2);
    delete process.env.TFJS_KERAS_RNN_RESIDENT;
    const resident = await fitStock(adam, null, 2);
    // 4 batches an epoch, batches 1 and 3 not recorded.
    expect(mixed.residentSteps).toBe(useWasmKernel() ? 4 : 0);
    expect(tfjs.residentSteps).toBe(0);
    expect(mixed.records).toEqual(tfjs.records);
    expect(mixed.weights).toEqual(tfjs.weights);
    expect(mixed.weights).toEqual(resident.weights);
  });

  it("an Embedding's norm is over its per-lookup rows, as Keras's clipnorm takes it", async () => {
    const m = new Sequential([
      new Embedding({ inputDim: 5, outputDim: 2, inputShape: [4] }),
      new SimpleRNN({ units: 3 }),
      new Dense({ units: 1 }),
    ]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    // Id 1 three times: its rows' norm and the norm of their sum differ.
    const ids = tf.tensor2d([[1, 1, 1, 2]], [1, 4], 'int32');
    const y = tf.tensor2d([[3]]);
    try {
      const [embedding, rnn, dense] = m.layers as [Embedding, SimpleRNN, Dense];
      const [table] = embedding.getWeights() as [tf.Tensor];
      const { rows, summed } = tf.tidy(() => {
        const looked = tf.gather(table, tf.reshape(ids, [4]));
        const loss = (e: tf.Tensor): tf.Scalar => {
          const out = dense.apply(rnn.apply(tf.reshape(e, [1, 4, 2]))) as tf.Tensor;
          return tf.mean(tf.square(tf.sub(out, y)));
        };
        const g = tf.grad(loss)(looked);
        const perId = tf.scatterND(tf.tensor2d([[1], [1], [1], [2]], [4, 1], 'int32'), g, [5, 2]);
        return {
          rows: tf.norm(g).dataSync()[0],
          summed: tf.norm(perId).dataSync()[0],
        };
      });
      expect(Math.abs(rows - summed)).toBeGreaterThan(1e-3 * rows);
      const logger = new GradientNormLogger();
      await m.fit(ids, y, { epochs: 1, verbose: 0, callbacks: [logger] });
      expectClose(logger.records[0]?.layers[embedding.name], rows, 1e-5);
    } finally {
      tf.dispose([ids, y]);
      m.dispose();
    }
  });
});

describe('every, the history and the CSV file', () => {
  it('every: 3 records batches 0, 3, 6 of each epoch; the history has their means per epoch', async () => {
    const logger = new GradientNormLogger({ every: 3 });
    const m = stockModel({ optimizer: 'adam', loss: 'mse' });
    const { x, y } = stockData(16);
    try {
      const { history } = await m.fit(x, y, {
        batchSize: 2,
        epochs: 2,
        shuffle: false,
        verbose: 0,
        callbacks: [logger],
      });
      expect(logger.records.map((r) => [r.epoch, r.batch])).toEqual([
        [0, 0],
        [0, 3],
        [0, 6],
        [1, 0],
        [1, 3],
        [1, 6],
      ]);
      const layers = STOCK_LAYERS;
      expect(Object.keys(history).sort()).toEqual(
        ['grad_norm', 'loss', ...layers.map((l) => `grad_norm_${l}`)].sort(),
      );
      const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
      for (const epoch of [0, 1]) {
        const recorded = logger.records.filter((r) => r.epoch === epoch);
        expect(history.grad_norm[epoch]).toBeCloseTo(mean(recorded.map((r) => r.global)), 12);
        for (const layer of layers) {
          expect(history[`grad_norm_${layer}`][epoch]).toBeCloseTo(
            mean(recorded.map((r) => r.layers[layer] ?? Number.NaN)),
            12,
          );
        }
      }
      expect(history.grad_norm).toHaveLength(2);
    } finally {
      tf.dispose([x, y]);
      m.dispose();
    }
  });

  it('writes a header and a row per recorded batch; append keeps the header', async () => {
    const file = path.join(tmp, 'norms.csv');
    const m = stockModel({ optimizer: 'adam', loss: 'mse' });
    const { x, y } = stockData(8);
    const fit = async (logger: GradientNormLogger): Promise<void> => {
      await m.fit(x, y, { batchSize: 4, epochs: 2, verbose: 0, callbacks: [logger] });
    };
    try {
      const first = new GradientNormLogger({ filename: file, separator: ';' });
      await fit(first);
      const header = 'epoch;batch;grad_norm;grad_norm_encoder;grad_norm_decoder;grad_norm_head';
      const rows = (records: GradientNormRecord[]): string[] =>
        records.map((r) =>
          [
            r.epoch,
            r.batch,
            pythonFloat(r.global),
            ...STOCK_LAYERS.map((l) => pythonFloat(r.layers[l] ?? Number.NaN)),
          ].join(';'),
        );
      const firstRows = rows(first.records);
      expect(firstRows).toHaveLength(4);
      expect(fs.readFileSync(file, 'utf8')).toBe([header, ...firstRows, ''].join('\r\n'));
      const second = new GradientNormLogger({ filename: file, separator: ';', append: true });
      await fit(second);
      expect(fs.readFileSync(file, 'utf8')).toBe(
        [header, ...firstRows, ...rows(second.records), ''].join('\r\n'),
      );
      // Without append, a new file.
      await fit(new GradientNormLogger({ filename: file, separator: ';' }));
      expect(fs.readFileSync(file, 'utf8').split('\r\n')).toHaveLength(6);
    } finally {
      tf.dispose([x, y]);
      m.dispose();
    }
  });
});

describe('bad options and leaks', () => {
  it.each([
    [
      { every: 0 },
      /^GradientNormLogger: expected `every` to be a positive integer .*received 0\. Write every: 1/,
    ],
    [{ every: -1 }, /expected `every` to be a positive integer .*received -1\./],
    [{ every: 1.5 }, /expected `every` to be a positive integer .*received 1\.5\./],
    [{ every: '2' }, /expected `every` to be a positive integer .*received "2"\./],
    [{ evry: 2 }, /^GradientNormLogger: unknown option `evry`; did you mean `every`\?/],
    [{ file_name: 'a.csv' }, /unknown option `file_name`; did you mean `filename`\?/],
    [{ separator: ';' }, /`separator` only apply to a CSV file, and no `filename` was given/],
    [
      { filename: 'a.csv', separator: ';;' },
      /expected `separator` to be one character, received ";;"/,
    ],
    [
      { filename: '/no/such/folder/a.csv' },
      /the folder '\/no\/such\/folder' of `filename`.* does not exist/,
    ],
    [{ filename: 'a.csv', append: 'yes' }, /expected `append` to be a boolean, received "yes"/],
  ])('%j is refused', (args, message) => {
    expect(() => new GradientNormLogger(args as never)).toThrow(message);
  });

  it('leaves no tensor behind: the resident path, and an Embedding with per-lookup rows', async () => {
    const m = stockModel({ optimizer: 'adam', loss: 'mse' });
    const { x, y } = stockData(12);
    const e = new Sequential([
      new Embedding({ inputDim: 5, outputDim: 2, inputShape: [3] }),
      new SimpleRNN({ units: 2 }),
      new Dense({ units: 1 }),
    ]);
    e.compile({ optimizer: 'adam', loss: 'mse' });
    const ids = tf.tensor2d([0, 1, 1, 2, 2, 2, 3, 4, 4], [3, 3], 'int32');
    const ey = tf.tensor2d([[1], [0], [2]]);
    const args = (): { batchSize: number; verbose: 0; callbacks: GradientNormLogger[] } => ({
      batchSize: 4,
      verbose: 0,
      callbacks: [new GradientNormLogger({ every: 2 })],
    });
    try {
      // The first fits create the optimizers' slots, which fit keeps.
      await m.fit(x, y, args());
      await e.fit(ids, ey, args());
      await expectNoLeak(async () => {
        await m.fit(x, y, { ...args(), epochs: 2 });
        await e.fit(ids, ey, { ...args(), epochs: 2 });
      });
    } finally {
      tf.dispose([x, y, ids, ey]);
      m.dispose();
      e.dispose();
    }
  });
});
