/**
 * Sequential.fit / evaluate / predict: Keras's training semantics, callbacks, console output,
 * and tensor hygiene.
 */
import * as tf from '@tensorflow/tfjs';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import { Dense, Dropout, SimpleRNN } from '../../src/index';
import { Sequential } from '../../src/models/sequential';
import type { ProgressStream } from '../../src/models/progbar';
import type { Logs } from '../../src/models/training';

beforeAll(async () => {
  await useTestBackend();
});

/** SimpleRNN(3) -> Dense(units) on [4, 2] inputs, with fixed weights (no randomness). */
function fixedModel(
  units = 1,
  activation: string | null = null,
  returnSequences = false,
): Sequential {
  const model = new Sequential([
    new SimpleRNN({ units: 3, inputShape: [4, 2], returnSequences }),
    new Dense({ units, activation }),
  ]);
  let k = 0;
  model.setWeights(
    model.getWeights().map((w) => {
      const values = Array.from({ length: w.size }, () => 0.5 * Math.sin(++k));
      w.dispose();
      return tf.tensor(values, w.shape);
    }),
  );
  return model;
}

/** n samples of 4 steps of 2 features, and y = the mean of the first feature over the steps. */
function data(n: number): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const x = Array.from({ length: n }, (_, i) =>
    Array.from({ length: 4 }, (_, t) => [Math.cos(i + t), Math.sin(2 * i - t)]),
  );
  const y = x.map((steps) => [steps.reduce((s, [a]) => s + a, 0) / 4]);
  return { x: tf.tensor3d(x), y: tf.tensor2d(y) };
}

function values(t: tf.Tensor): number[] {
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('fit: Keras semantics', () => {
  it('the epoch loss and metrics are batch means weighted by batch size (batches 3, 3, 2)', async () => {
    const model = fixedModel();
    // A learning rate of 0 keeps the weights, so each batch's loss can be computed apart.
    model.compile({ optimizer: tf.train.sgd(0), loss: 'mse', metrics: ['mae'] });
    const { x, y } = data(8);
    const pred = values(model.predict(x, { verbose: 0 }));
    const target = Array.from(y.dataSync());
    const se = pred.map((p, i) => (p - (target[i] ?? NaN)) ** 2);
    const ae = pred.map((p, i) => Math.abs(p - (target[i] ?? NaN)));
    const batchMeans = (v: number[]): number[] => [
      mean(v.slice(0, 3)),
      mean(v.slice(3, 6)),
      mean(v.slice(6, 8)),
    ];
    const weighted = (b: number[]): number =>
      (3 * (b[0] ?? NaN) + 3 * (b[1] ?? NaN) + 2 * (b[2] ?? NaN)) / 8;
    const [b1 = NaN, b2 = NaN, b3 = NaN] = batchMeans(se);
    // The weighting matters here: the plain mean of the three batch means is different.
    expect(Math.abs(weighted([b1, b2, b3]) - (b1 + b2 + b3) / 3)).toBeGreaterThan(1e-3);

    const batchLogs: Logs[] = [];
    const history = await model.fit(x, y, {
      batchSize: 3,
      shuffle: false,
      verbose: 0,
      callbacks: { onBatchEnd: (_b, logs) => void batchLogs.push(logs) },
    });
    expect(history.history.loss[0]).toBeCloseTo(weighted([b1, b2, b3]), 5);
    expect(history.history.mae[0]).toBeCloseTo(weighted(batchMeans(ae)), 5);
    // Batch logs hold running means, as Keras's.
    expect(batchLogs.map((l) => l.loss)).toBeAllClose(
      [b1, (b1 + b2) / 2, weighted([b1, b2, b3])],
      1e-5,
    );
    expect(history.params).toEqual({ verbose: 0, epochs: 1, steps: 3 });
    model.dispose();
  });

  it('shuffle: false is deterministic', async () => {
    const run = async (): Promise<{ loss: number[]; weights: number[][] }> => {
      const model = fixedModel();
      model.compile({ optimizer: 'adam', loss: 'mse' });
      const { x, y } = data(10);
      const history = await model.fit(x, y, {
        batchSize: 4,
        epochs: 3,
        shuffle: false,
        verbose: 0,
      });
      const weights = model.getWeights().map(values);
      model.dispose();
      return { loss: history.history.loss, weights };
    };
    const a = await run();
    const b = await run();
    expect(a.loss).toEqual(b.loss);
    expect(a.weights).toEqual(b.weights);
  });

  it('validationSplit holds out the last samples before shuffling; val_ values are inference-mode evaluations', async () => {
    const model = fixedModel();
    model.compile({ optimizer: tf.train.sgd(0), loss: 'mse', metrics: ['mae'] });
    const { x, y } = data(8);
    const history = await model.fit(x, y, { batchSize: 4, validationSplit: 0.25, verbose: 0 });
    const train = (await model.evaluate(x.slice(0, 6), y.slice(0, 6), { verbose: 0 })) as number[];
    const held = (await model.evaluate(x.slice(6), y.slice(6), { verbose: 0 })) as number[];
    expect(Object.keys(history.history)).toEqual(['loss', 'mae', 'val_loss', 'val_mae']);
    // Shuffled batches still see every training sample once: the weighted mean is the same.
    expect(history.history.loss[0]).toBeCloseTo(train[0] ?? NaN, 5);
    expect(history.history.val_loss[0]).toBeCloseTo(held[0] ?? NaN, 5);
    expect(history.history.val_mae[0]).toBeCloseTo(held[1] ?? NaN, 5);
    model.dispose();
  });

  it('validationData is evaluated at the end of each epoch', async () => {
    const model = fixedModel();
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(6);
    const val = data(5);
    const history = await model.fit(x, y, {
      epochs: 2,
      validationData: [val.x, val.y],
      verbose: 0,
    });
    const after = await model.evaluate(val.x, val.y, { verbose: 0 });
    expect(history.history.val_loss).toHaveLength(2);
    expect(history.history.val_loss[1]).toBeCloseTo(after as number, 5);
    model.dispose();
  });

  it('a per-step sparse crossentropy on [B, T] labels is the mean over B * T', async () => {
    const model = fixedModel(3, 'softmax', true);
    model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['acc'] });
    const { x } = data(5);
    const labels = tf.tensor2d(Array.from({ length: 5 }, (_, i) => [i % 3, (i + 1) % 3, 2, 0]));
    const probs = model.predict(x, { verbose: 0 }).arraySync() as number[][][];
    const lab = labels.arraySync();
    const perStep = probs.flatMap((steps, b) =>
      steps.map((p, t) => -Math.log(p[lab[b]?.[t] ?? 0] ?? NaN)),
    );
    const correct = probs.flatMap((steps, b) =>
      steps.map((p, t) => (p.indexOf(Math.max(...p)) === lab[b]?.[t] ? 1 : 0)),
    );
    const [loss, acc] = (await model.evaluate(x, labels, { verbose: 0 })) as number[];
    expect(perStep).toHaveLength(20);
    expect(loss).toBeCloseTo(mean(perStep), 5);
    expect(acc).toBeCloseTo(mean(correct), 6);
    model.dispose();
  });

  it('logs are sorted by name, as Keras 3 does', async () => {
    const model = fixedModel(3, 'softmax');
    model.compile({
      optimizer: 'sgd',
      loss: 'sparse_categorical_crossentropy',
      metrics: ['sparse_categorical_crossentropy', 'accuracy'],
    });
    const { x } = data(10);
    const y = tf.tensor1d(Array.from({ length: 10 }, (_, i) => i % 3));
    const history = await model.fit(x, y, { validationSplit: 0.2, verbose: 0 });
    expect(Object.keys(history.history)).toEqual([
      'accuracy',
      'loss',
      'sparse_categorical_crossentropy',
      'val_accuracy',
      'val_loss',
      'val_sparse_categorical_crossentropy',
    ]);
    // evaluate returns [loss, ...metrics] in compile order.
    const result = (await model.evaluate(x, y, { verbose: 0 })) as number[];
    expect(result).toHaveLength(3);
    expect(result[1]).toBeCloseTo(result[0] ?? NaN, 6);
    model.dispose();
  });

  it('Dropout is active in training and off at inference', async () => {
    const model = new Sequential([
      // Seeded: unseeded, one draw in ~6000 keeps exactly 25 inputs of every sample, whose
      // training loss is then 2500 too (it failed so once).
      new Dropout({ rate: 0.5, inputShape: [50], seed: 7 }),
      new Dense({ units: 1, kernelInitializer: 'ones' }),
    ]);
    model.compile({ optimizer: tf.train.sgd(0), loss: 'mse' });
    const x = tf.ones([4, 50]);
    const y = tf.zeros([4, 1]);
    const history = await model.fit(x, y, { verbose: 0 });
    const inference = (await model.evaluate(x, y, { verbose: 0 })) as number;
    expect(inference).toBeCloseTo(2500, 3); // (50 * 1)^2: nothing dropped
    // In training, half the inputs are zeroed and the rest doubled: the output varies around 50.
    expect(Math.abs(history.history.loss[0] - 2500)).toBeGreaterThan(1);
    model.dispose();
  });

  it('reduces the loss on an easy problem from fixed weights', async () => {
    const model = fixedModel();
    model.compile({ optimizer: { name: 'adam', learningRate: 0.02 }, loss: 'mse' });
    const { x, y } = data(32);
    const history = await model.fit(x, y, { epochs: 40, batchSize: 8, shuffle: false, verbose: 0 });
    const loss = history.history.loss;
    expect(loss[loss.length - 1]).toBeLessThan(0.2 * (loss[0] ?? 0));
    model.dispose();
  });

  it('predict in batches equals predict in one batch', () => {
    const model = fixedModel();
    const { x } = data(10);
    expect(model.predict(x, { batchSize: 3, verbose: 0 })).toBeAllClose(
      model.predict(x, { batchSize: 100, verbose: 0 }),
      1e-6,
    );
    model.dispose();
  });

  it('evaluate returns a number without metrics', async () => {
    const model = fixedModel();
    model.compile({ optimizer: 'sgd', loss: 'mae' });
    const { x, y } = data(4);
    expect(typeof (await model.evaluate(x, y, { verbose: 0 }))).toBe('number');
    model.dispose();
  });

  it('accepts nested arrays as well as tensors', async () => {
    const model = fixedModel();
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(4);
    const fromTensors = await model.evaluate(x, y, { verbose: 0 });
    const fromArrays = await model.evaluate(x.arraySync(), y.arraySync(), { verbose: 0 });
    expect(fromArrays).toBeCloseTo(fromTensors as number, 6);
    model.dispose();
  });
});

describe('fit: callbacks', () => {
  it('calls the hooks in Keras order, awaiting async ones', async () => {
    const model = fixedModel();
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(5);
    const events: string[] = [];
    await model.fit(x, y, {
      epochs: 2,
      batchSize: 3,
      verbose: 0,
      callbacks: [
        {
          onTrainBegin: () => void events.push('trainBegin'),
          onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
          onBatchBegin: (b) => void events.push(`batchBegin ${b}`),
          onBatchEnd: async (b) => {
            await new Promise((resolve) => setTimeout(resolve, 1));
            events.push(`batchEnd ${b}`);
          },
          onEpochEnd: (e, logs) => void events.push(`epochEnd ${e} ${Object.keys(logs).join(',')}`),
          onTrainEnd: (logs) => void events.push(`trainEnd ${Object.keys(logs).join(',')}`),
        },
        { onEpochEnd: (e) => void events.push(`second ${e}`) },
      ],
    });
    expect(events).toEqual([
      'trainBegin',
      'epochBegin 0',
      'batchBegin 0',
      'batchEnd 0',
      'batchBegin 1',
      'batchEnd 1',
      'epochEnd 0 loss',
      'second 0',
      'epochBegin 1',
      'batchBegin 0',
      'batchEnd 0',
      'batchBegin 1',
      'batchEnd 1',
      'epochEnd 1 loss',
      'second 1',
      'trainEnd loss',
    ]);
    model.dispose();
  });

  it('stopTraining from onEpochEnd stops after that epoch', async () => {
    const model = fixedModel();
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(4);
    const history = await model.fit(x, y, {
      epochs: 10,
      verbose: 0,
      callbacks: {
        onEpochEnd: (epoch) => {
          if (epoch === 1) model.stopTraining = true;
        },
      },
    });
    expect(history.epoch).toEqual([0, 1]);
    // The next fit starts afresh.
    const again = await model.fit(x, y, { epochs: 2, verbose: 0 });
    expect(again.epoch).toEqual([0, 1]);
    model.dispose();
  });

  it('stopTraining from onBatchEnd ends the epoch after that batch, as Keras', async () => {
    const model = fixedModel();
    model.compile({ optimizer: tf.train.sgd(0), loss: 'mse' });
    const { x, y } = data(9);
    const batches: number[] = [];
    const history = await model.fit(x, y, {
      epochs: 3,
      batchSize: 3,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: (b) => {
          batches.push(b);
          model.stopTraining = true;
        },
      },
    });
    const first = (await model.evaluate(x.slice(0, 3), y.slice(0, 3), { verbose: 0 })) as number;
    expect(batches).toEqual([0]);
    expect(history.epoch).toEqual([0]);
    expect(history.history.loss[0]).toBeCloseTo(first, 5);
    model.dispose();
  });

  it('initialEpoch resumes the epoch count', async () => {
    const model = fixedModel();
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(4);
    const history = await model.fit(x, y, { epochs: 4, initialEpoch: 2, verbose: 0 });
    expect(history.epoch).toEqual([2, 3]);
    expect(history.history.loss).toHaveLength(2);
    model.dispose();
  });
});

describe('fit: tensors', () => {
  it('leaks nothing across epochs, fits, evaluate and predict', async () => {
    const model = fixedModel();
    model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const { x, y } = data(20);
    // The first step creates the optimizer's slots; after it, the count must not move.
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const perEpoch: number[] = [];
    await expectNoLeak(async () => {
      await model.fit(x, y, {
        epochs: 3,
        batchSize: 6,
        validationSplit: 0.2,
        verbose: 0,
        callbacks: { onEpochEnd: () => void perEpoch.push(tf.memory().numTensors) },
      });
      await model.fit(x.arraySync(), y.arraySync(), { epochs: 1, verbose: 0 });
      await model.evaluate(x, y, { verbose: 0 });
      model.predict(x, { verbose: 0 }).dispose();
    });
    expect(new Set(perEpoch).size).toBe(1);
    model.dispose();
  });
});

describe('fit: console output', () => {
  function capture(isTTY = false): { stream: ProgressStream; text: () => string } {
    const writes: string[] = [];
    return { stream: { isTTY, write: (s: string) => writes.push(s) }, text: () => writes.join('') };
  }

  it('verbose 1 off a terminal: Epoch lines and the final bar of each epoch', async () => {
    const model = fixedModel(3, 'softmax');
    model.compile({
      optimizer: 'sgd',
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    });
    const { x } = data(10);
    const y = tf.tensor1d(Array.from({ length: 10 }, (_, i) => i % 3));
    const out = capture();
    await model.fit(x, y, { epochs: 2, batchSize: 4, validationSplit: 0.2, stream: out.stream });
    const line =
      /2\/2 ━{20} \d+s \d+(us|ms|s)\/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}\n/;
    expect(out.text()).toMatch(
      new RegExp(`^Epoch 1/2\\n${line.source}Epoch 2/2\\n${line.source}$`),
    );
    model.dispose();
  });

  it('verbose 2: one line per epoch; no Epoch line for a single epoch, as Keras', async () => {
    const model = fixedModel();
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(70);
    const out = capture(true);
    await model.fit(x, y, { verbose: 2, stream: out.stream });
    expect(out.text()).toMatch(/^3\/3 - \d+s - \d+(us|ms|s)\/step - loss: \d\.\d{4}\n$/);
    model.dispose();
  });

  it('evaluate and predict show a bar too (verbose 1 is their default, as in Keras)', async () => {
    const model = fixedModel();
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const { x, y } = data(40);
    const out = capture();
    await model.evaluate(x, y, { stream: out.stream });
    model.predict(x, { stream: out.stream }).dispose();
    expect(out.text()).toMatch(
      /^2\/2 ━{20} \d+s \d+(us|ms|s)\/step - loss: \d\.\d{4}\n2\/2 ━{20} \d+s \d+(us|ms|s)\/step\n$/,
    );
    model.dispose();
  });
});
