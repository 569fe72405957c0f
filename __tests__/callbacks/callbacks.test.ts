/**
 * Keras's callbacks. The monitored sequences and their outcomes (which epoch stops, which
 * weights come back, each learning rate and line) are what Keras 3.15's own callbacks gave for
 * the same sequences, driven the same way: set_model, on_train_begin, then on_epoch_begin and
 * on_epoch_end per epoch with {val_loss: v, loss: v}, until stop_training. Then the callbacks in
 * a real `fit`: files, history, progress lines.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  CSVLogger,
  EarlyStopping,
  ModelCheckpoint,
  ReduceLROnPlateau,
  TerminateOnNaN,
} from '../../src/callbacks';
import { pythonFloat, pythonFormat } from '../../src/callbacks/python_format';
import { loadKerasModel } from '../../src/keras/load_keras_model';
import { Dense } from '../../src/layers/dense';
import { SimpleRNN } from '../../src/layers/rnn/simple_rnn';
import { Sequential } from '../../src/models/sequential';
import type { Callback, CallbackModel } from '../../src/models/training';
import { Adam } from '../../src/optimizers/adam';
import { useTestBackend } from '../helpers/tensors';

let tmp = '';

beforeAll(async () => {
  await useTestBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacks-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A model whose one weight is the epoch number, as the Python harness's. */
class FakeModel implements CallbackModel {
  readonly name = 'fake';
  stopTraining = false;
  readonly optimizer = new Adam({ learningRate: 0.01 });
  w = 0;
  getWeights(): tf.Tensor[] {
    return [tf.tensor1d([this.w])];
  }
  setWeights(values: tf.Tensor[]): void {
    this.w = values[0].dataSync()[0];
  }
  save(): Promise<void> {
    return Promise.resolve();
  }
  saveWeights(): Promise<void> {
    return Promise.resolve();
  }
}

/** Drives `cb` as the Python harness did; returns [epoch, stopped, lr, logged lr] per epoch. */
async function drive(
  cb: Callback,
  values: number[],
  key = 'val_loss',
): Promise<{ rows: [number, boolean, number, number | undefined][]; w: number }> {
  const model = new FakeModel();
  cb.setModel?.(model);
  await cb.onTrainBegin?.({});
  const rows: [number, boolean, number, number | undefined][] = [];
  for (const [epoch, v] of values.entries()) {
    model.w = epoch;
    const logs: Record<string, number> = { [key]: v, loss: v };
    await cb.onEpochBegin?.(epoch, {});
    await cb.onEpochEnd?.(epoch, logs);
    rows.push([epoch, model.stopTraining, model.optimizer.learningRate, logs.learning_rate]);
    if (model.stopTraining) break;
  }
  await cb.onTrainEnd?.({});
  model.optimizer.dispose();
  return { rows, w: model.w };
}

function printed(run: () => Promise<void>): Promise<string> {
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return run()
    .then(() => spy.mock.calls.map((c) => String(c[0])).join(''))
    .finally(() => {
      spy.mockRestore();
    });
}

const VALUES = [1.0, 0.9, 0.895, 0.95, 0.89, 0.97, 0.96, 0.99];
const LR = 0.009999999776482582;

describe('EarlyStopping: as Keras 3.15 on the same sequences', () => {
  it('patience 2, minDelta 0.01, restoring the best weights', async () => {
    let result: Awaited<ReturnType<typeof drive>> | undefined;
    const out = await printed(async () => {
      result = await drive(
        new EarlyStopping({ patience: 2, minDelta: 0.01, restoreBestWeights: true, verbose: 1 }),
        VALUES,
      );
    });
    expect(result?.rows.map((r) => r[1])).toEqual([false, false, false, true]);
    expect(result?.w).toBe(1);
    expect(out).toBe(
      'Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n',
    );
  });

  it('a baseline not beaten, and startFromEpoch with mode max', async () => {
    const baseline = await drive(new EarlyStopping({ patience: 1, baseline: 0.85 }), VALUES);
    expect(baseline.rows.map((r) => r[1])).toEqual([false, false, false, true]);
    const late = await drive(
      new EarlyStopping({ monitor: 'val_accuracy', mode: 'max', patience: 1, startFromEpoch: 2 }),
      [0.5, 0.6, 0.55, 0.7, 0.65, 0.6],
      'val_accuracy',
    );
    expect(late.rows.map((r) => r[1])).toEqual([false, false, false, false, true]);
  });
});

describe('ReduceLROnPlateau: as Keras 3.15 on the same sequence', () => {
  it('patience 1, factor 0.5, cooldown 1, minLr 0.002: the rates, the logged rates and the lines', async () => {
    let result: Awaited<ReturnType<typeof drive>> | undefined;
    const out = await printed(async () => {
      result = await drive(
        new ReduceLROnPlateau({ patience: 1, factor: 0.5, cooldown: 1, minLr: 0.002, verbose: 1 }),
        VALUES,
      );
    });
    const rates = result?.rows.map((r) => [r[2], r[3]]);
    expect(rates).toEqual([
      [LR, LR],
      [LR, LR],
      [LR, LR],
      [0.004999999888241291, LR],
      [0.004999999888241291, 0.004999999888241291],
      [0.0024999999441206455, 0.004999999888241291],
      [0.0020000000949949026, 0.0024999999441206455],
      [0.0020000000949949026, 0.0020000000949949026],
    ]);
    expect(out).toBe(
      '\nEpoch 4: ReduceLROnPlateau reducing learning rate to 0.004999999888241291.\n' +
        '\nEpoch 6: ReduceLROnPlateau reducing learning rate to 0.0024999999441206455.\n' +
        '\nEpoch 7: ReduceLROnPlateau reducing learning rate to 0.002.\n',
    );
  });
});

describe('the callbacks in fit', () => {
  const model = (): Sequential => {
    const m = new Sequential([
      new SimpleRNN({ units: 3, inputShape: [4, 1] }),
      new Dense({ units: 1 }),
    ]);
    m.compile({ optimizer: { name: 'adam', learningRate: 0.05 }, loss: 'mse', metrics: ['mae'] });
    return m;
  };
  const x = (): tf.Tensor => tf.randomUniform([16, 4, 1], -1, 1, 'float32', 3);
  const y = (): tf.Tensor => tf.randomUniform([16, 1], -1, 1, 'float32', 4);

  it('ModelCheckpoint: templated names, saveBestOnly, weights-only, Keras lines', async () => {
    const m = model();
    const [xs, ys] = [x(), y()];
    const template = path.join(tmp, 'ckpt', 'm-{epoch:02d}-{loss:.3f}.keras');
    const out = await printed(async () => {
      await m.fit(xs, ys, {
        epochs: 3,
        batchSize: 8,
        verbose: 0,
        callbacks: [
          new ModelCheckpoint(template, { monitor: 'loss', verbose: 1 }),
          new ModelCheckpoint(path.join(tmp, 'best.weights.h5'), {
            monitor: 'loss',
            saveBestOnly: true,
            saveWeightsOnly: true,
          }),
        ],
      });
    });
    const files = fs.readdirSync(path.join(tmp, 'ckpt')).sort();
    expect(files).toHaveLength(3);
    expect(files[0]).toMatch(/^m-01-\d\.\d{3}\.keras$/);
    expect(out).toContain(`\nEpoch 1: saving model to ${path.join(tmp, 'ckpt', files[0])}\n`);
    expect(out).toContain(
      `\nEpoch 3: finished saving model to ${path.join(tmp, 'ckpt', files[2])}\n`,
    );
    const back = await loadKerasModel(path.join(tmp, 'ckpt', files[2]));
    const [a, b] = [m.predict(xs, { verbose: 0 }), back.predict(xs, { verbose: 0 })];
    expect(b).toBeAllClose(a.arraySync() as number[][], 0, 0);
    expect(fs.existsSync(path.join(tmp, 'best.weights.h5'))).toBe(true);
    tf.dispose([xs, ys, a, b]);
    m.dispose();
    back.dispose();
  });

  it('EarlyStopping stops fit and puts back the best weights; the history ends there', async () => {
    const m = model();
    const [xs, ys] = [x(), y()];
    // A quantity that only worsens after the first epoch: the learning rate is far too high.
    m.compile({ optimizer: { name: 'sgd', learningRate: 5 }, loss: 'mse' });
    const stopper = new EarlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true });
    let first: number[] = [];
    const keep: Callback = {
      onEpochEnd: (epoch) => {
        if (epoch === 0) first = m.getWeights().flatMap((w) => Array.from(w.dataSync()));
      },
    };
    const history = await m.fit(xs, ys, {
      epochs: 20,
      batchSize: 16,
      verbose: 0,
      callbacks: [keep, stopper],
    });
    expect(history.epoch.length).toBeLessThan(20);
    expect(stopper.stoppedEpoch).toBe(history.epoch.at(-1));
    const losses = history.history.loss;
    const best = losses.indexOf(Math.min(...losses));
    if (best === 0) {
      const now = m.getWeights().flatMap((w) => Array.from(w.dataSync()));
      expect(now).toEqual(first);
    }
    tf.dispose([xs, ys]);
    m.dispose();
  });

  it('ReduceLROnPlateau puts learning_rate into the history, after the fit logs', async () => {
    const m = model();
    const [xs, ys] = [x(), y()];
    const history = await m.fit(xs, ys, {
      epochs: 3,
      batchSize: 16,
      verbose: 0,
      callbacks: [new ReduceLROnPlateau({ monitor: 'loss', patience: 0, minDelta: 10 })],
    });
    expect(Object.keys(history.history)).toEqual(['loss', 'mae', 'learning_rate']);
    // Keras: float(lr) * factor, stored in a float32 variable.
    const lr = Math.fround(0.05);
    expect(history.history.learning_rate).toEqual([lr, lr, Math.fround(lr * 0.1)]);
    tf.dispose([xs, ys]);
    m.dispose();
  });

  it('CSVLogger writes Keras rows (NA for missing val_ columns), appending when asked', async () => {
    const m = model();
    const [xs, ys] = [x(), y()];
    const file = path.join(tmp, 'log.csv');
    const history = await m.fit(xs, ys, {
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      callbacks: [new CSVLogger(file)],
    });
    await m.fit(xs, ys, {
      epochs: 1,
      verbose: 0,
      callbacks: [new CSVLogger(file, { append: true })],
    });
    const lines = fs.readFileSync(file, 'utf8').split('\r\n');
    expect(lines[0]).toBe('epoch,loss,mae,val_loss,val_mae');
    expect(lines[1]).toBe(
      `0,${pythonFloat(history.history.loss[0])},${pythonFloat(history.history.mae[0])},NA,NA`,
    );
    expect(lines).toHaveLength(5); // header, 2 + 1 rows, the last line's end
    tf.dispose([xs, ys]);
    m.dispose();
  });

  it('TerminateOnNaN stops after the batch whose loss is not finite', async () => {
    const m = model();
    const [xs, ys] = [x(), y()];
    // A step far too large: the weights, then the loss, overflow float32.
    m.compile({ optimizer: { name: 'sgd', learningRate: 1e30 }, loss: 'mse' });
    const out = await printed(async () => {
      const history = await m.fit(xs, ys, {
        epochs: 3,
        batchSize: 4,
        shuffle: false,
        verbose: 0,
        callbacks: [new TerminateOnNaN()],
      });
      expect(history.epoch).toEqual([0]);
      expect(Number.isFinite(history.history.loss[0])).toBe(false);
    });
    expect(out).toMatch(/^Batch [1-3]: Invalid loss, terminating training\n$/);
    await expect(
      m.fit(xs, ys, {
        epochs: 1,
        verbose: 0,
        callbacks: [new TerminateOnNaN({ raiseError: true })],
      }),
    ).rejects.toThrow(/NaN or Inf loss encountered at batch 0/);
    tf.dispose([xs, ys]);
    m.dispose();
  });
});

describe('bad arguments, refused by name', () => {
  it('each callback', () => {
    expect(() => new ModelCheckpoint('m.h5')).toThrow(/must end in \.keras/);
    expect(() => new ModelCheckpoint('m.keras', { saveWeightsOnly: true })).toThrow(
      /must end in \.weights\.h5 with saveWeightsOnly: true/,
    );
    expect(() => new ModelCheckpoint('m.keras', { saveFreq: 0 })).toThrow(/saveFreq/);
    expect(() => new EarlyStopping({ monitor: 'val_auc' })).toThrow(
      /cannot tell whether `monitor` 'val_auc' should be minimized or maximized; pass mode/,
    );
    expect(() => new EarlyStopping({ mode: 'up' as 'max' })).toThrow(/'auto', 'min' or 'max'/);
    expect(() => new EarlyStopping({ restore_best_weights: true } as object)).toThrow(
      /restoreBestWeights/,
    );
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow(/factor` must be below 1/);
    expect(() => new CSVLogger(path.join(tmp, 'nowhere', 'x.csv'))).toThrow(/does not exist/);
    expect(
      () => new CSVLogger(path.join(tmp, 'x.csv'), { append: 'yes' as unknown as boolean }),
    ).toThrow(/CSVLogger: expected `append` to be a boolean, received "yes"/);
    expect(() => new TerminateOnNaN({ raiseError: 1 as unknown as boolean })).toThrow(/boolean/);
  });

  it('file templates: Python format specs, and unknown names', () => {
    const values = { epoch: 3, val_loss: 0.123456, loss: -1.5e-5 };
    expect(pythonFormat('t', 'm-{epoch:02d}-{val_loss:.2f}-{loss:.1e}{{x}}', values)).toBe(
      'm-03-0.12--1.5e-05{x}',
    );
    expect(pythonFormat('t', '{epoch:5d}|{val_loss:08.3f}|{val_loss:.1%}', values)).toBe(
      '    3|0000.123|12.3%',
    );
    expect(() => pythonFormat('t', '{acc}', values)).toThrow(/no 'acc' \(available: epoch/);
    expect(() => pythonFormat('t', '{val_loss:>8}', values)).toThrow(/spec ':>8' is not supported/);
    expect(pythonFloat(1e-5)).toBe('1e-05');
    expect(pythonFloat(2)).toBe('2.0');
  });
});
