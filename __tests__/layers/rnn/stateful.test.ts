/**
 * Stateful recurrent layers: the last states of a call are the first of the next, until
 * resetStates; a fixed batch size, checked with both sizes named; the states are the layer's
 * own (callers get copies), and nothing leaks over many calls.
 */
import * as tf from '@tensorflow/tfjs';
import { Dense } from '../../../src/layers/dense';
import { orthogonalInitializer } from '../../../src/layers/orthogonal';
import { Bidirectional } from '../../../src/layers/rnn/bidirectional';
import { GRU, GRUCell } from '../../../src/layers/rnn/gru';
import { LSTM, LSTMCell } from '../../../src/layers/rnn/lstm';
import type { RNN } from '../../../src/layers/rnn/rnn';
import { SimpleRNN } from '../../../src/layers/rnn/simple_rnn';
import { StackedRNN } from '../../../src/layers/rnn/stacked_rnn';
import { Sequential } from '../../../src/models/sequential';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

const constant = (value: number): { className: string; config: { value: number } } => ({
  className: 'Constant',
  config: { value },
});

/** Seeded initializers: the checks that the states carry do not depend on a random draw. */
const SEEDED = {
  kernelInitializer: { className: 'GlorotUniform', config: { seed: 7 } },
  recurrentInitializer: orthogonalInitializer({ seed: 8 }),
  biasInitializer: constant(0.1),
};

const sequence = (steps = 6): tf.Tensor3D =>
  tf.tidy(() => tf.sin(tf.reshape(tf.range(0, 2 * steps * 3), [2, steps, 3])));

describe('stateful layers', () => {
  it("gives Keras's test_statefulness values (keras/src/layers/rnn/simple_rnn_test.py)", () => {
    const layer = new SimpleRNN({
      units: 4,
      stateful: true,
      kernelInitializer: constant(0.01),
      recurrentInitializer: constant(0.02),
      biasInitializer: constant(0.03),
    });
    const x = tf.reshape(tf.range(0, 24), [2, 3, 4]);
    const expected = [...Array<number>(4).fill(0.40559256), ...Array<number>(4).fill(0.7361247)];
    for (let round = 0; round < 2; round++) {
      tf.dispose(layer.apply(x) as tf.Tensor);
      const output = layer.apply(x) as tf.Tensor;
      expect(Array.from(output.dataSync())).toBeAllClose(expected, 1e-5);
      output.dispose();
      layer.resetStates();
    }
    x.dispose();
    layer.dispose();
  });

  it.each<[string, (args: { stateful: boolean }) => RNN | Bidirectional]>([
    ['SimpleRNN', (args) => new SimpleRNN({ units: 3, ...args })],
    ['LSTM', (args) => new LSTM({ units: 3, ...args })],
    ['GRU', (args) => new GRU({ units: 3, ...args })],
    [
      'StackedRNN',
      (args) =>
        new StackedRNN({ cells: [new LSTMCell({ units: 2 }), new GRUCell({ units: 3 })], ...args }),
    ],
  ])('%s: two halves, one call each, end where the whole sequence ends', async (_kind, make) => {
    const whole = make({ stateful: false });
    const halves = make({ stateful: true });
    const x = sequence();
    const first = tf.slice(x, [0, 0, 0], [2, 3, 3]);
    const second = tf.slice(x, [0, 3, 0], [2, 3, 3]);
    tf.dispose(whole.apply(x) as tf.Tensor);
    tf.dispose(halves.apply(first) as tf.Tensor);
    halves.setWeights(whole.getWeights());
    halves.resetStates();
    await expectNoLeak(() => {
      const expected = whole.apply(x) as tf.Tensor;
      tf.dispose(halves.apply(first) as tf.Tensor);
      const got = halves.apply(second) as tf.Tensor;
      expect(got).toBeAllClose(expected, 1e-5);
      tf.dispose([expected, got]);
      // The carried states are the layer's until a reset frees them.
      halves.resetStates();
    });
    tf.dispose([x, first, second]);
    whole.dispose();
    halves.dispose();
  });

  it('carries both directions of a stateful Bidirectional, resets both, frees both', async () => {
    await expectNoLeak(() => {
      carriesBothDirections();
    });
  });

  function carriesBothDirections(): void {
    const layer = new Bidirectional({ layer: new GRU({ units: 2, stateful: true, ...SEEDED }) });
    const x = sequence(3);
    const a = layer.apply(x) as tf.Tensor;
    const b = layer.apply(x) as tf.Tensor;
    layer.resetStates();
    const c = layer.apply(x) as tf.Tensor;
    expect(layer.stateful).toBe(true);
    const states = layer.getStates();
    expect(states).toHaveLength(2);
    tf.dispose(states);
    expect(c).toBeAllClose(a, 0);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(b, a))).dataSync()[0])).toBeGreaterThan(1e-3);
    tf.dispose([x, a, b, c]);
    layer.dispose();
  }

  it('hands out copies: disposing them leaves the layer working', () => {
    const layer = new LSTM({ units: 2, stateful: true });
    const x = sequence(3);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const [h, c] = layer.getStates();
    tf.dispose([h, c]);
    const next = layer.apply(x) as tf.Tensor;
    expect(next.isDisposed).toBe(false);
    layer.resetStates([tf.ones([2, 2]), tf.zeros([2, 2])]);
    const [h1] = layer.getStates();
    expect(h1).toBeAllClose(tf.ones([2, 2]), 0);
    tf.dispose([x, next, ...layer.getStates(), h1]);
    layer.dispose();
  });

  it.each<[string, () => void, RegExp]>([
    [
      'a batch of another size',
      () => {
        const layer = new GRU({ units: 2, stateful: true, name: 'gru_s' });
        tf.dispose(layer.apply(tf.zeros([4, 3, 2])) as tf.Tensor);
        layer.apply(tf.zeros([3, 3, 2]));
      },
      /^GRU 'gru_s': is stateful with a batch size of 4 \(its states hold 4 samples\), but received a batch of 3\./,
    ],
    [
      'resetStates on a layer that is not stateful',
      () => {
        new GRU({ units: 2, name: 'plain' }).resetStates();
      },
      /^GRU 'plain': is not stateful, so it keeps no states between calls to reset/,
    ],
    [
      'states of the wrong shape to reset to',
      () => {
        const layer = new LSTM({ units: 2, stateful: true, name: 'ls' });
        tf.dispose(layer.apply(tf.zeros([2, 3, 1])) as tf.Tensor);
        layer.resetStates([tf.zeros([2, 2])]);
      },
      /^LSTM 'ls': expected 2 states of shape \[2, 2\], \[2, 2\] to reset to, received \[2, 2\]/,
    ],
    [
      'a stateful layer in a model without a batch size',
      () =>
        new Sequential([new LSTM({ units: 2, stateful: true, inputShape: [3, 1], name: 'nb' })]),
      /^LSTM 'nb': stateful: true needs a fixed batch size.*Give the model's first layer batchInputShape/,
    ],
  ])('refuses %s', (_case, run, message) => {
    expect(run).toThrow(message);
  });
});

describe('a stateful Sequential model', () => {
  /** LSTM(3, stateful) -> Dense(1) for batches of 2 sequences of 4 steps of 2 features. */
  function statefulModel(): Sequential {
    const model = new Sequential([
      new LSTM({ units: 3, stateful: true, batchInputShape: [2, 4, 2], ...SEEDED }),
      new Dense({
        units: 1,
        kernelInitializer: { className: 'GlorotUniform', config: { seed: 9 } },
      }),
    ]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    return model;
  }

  it('carries the states across predict, evaluate and fit, until resetStates', async () => {
    const model = statefulModel();
    const x = sequence(4).slice([0, 0, 0], [2, 4, 2]);
    const y = tf.ones([2, 1]);
    const first = model.predict(x, { verbose: 0 });
    const second = model.predict(x, { verbose: 0 });
    expect(tf.max(tf.abs(tf.sub(first, second))).dataSync()[0]).toBeGreaterThan(1e-4);
    model.resetStates();
    const again = model.predict(x, { verbose: 0 });
    expect(again).toBeAllClose(first, 0);
    const e1 = (await model.evaluate(x, y, { verbose: 0 })) as number;
    const e2 = (await model.evaluate(x, y, { verbose: 0 })) as number;
    expect(e1).not.toBeCloseTo(e2, 6);
    tf.dispose([x, y, first, second, again]);
    model.dispose();
  });

  it('takes its batch size from batchSize with inputShape too, as tfjs layers do', () => {
    const model = new Sequential([
      new LSTM({ units: 2, stateful: true, batchSize: 3, inputShape: [4, 2], ...SEEDED }),
      new Dense({
        units: 1,
        kernelInitializer: { className: 'GlorotUniform', config: { seed: 9 } },
      }),
    ]);
    expect(model.inputShape).toEqual([3, 4, 2]);
    const x = tf.ones([3, 4, 2]);
    const [a, b] = [0, 1].map(() => model.predict(x, { verbose: 0 }));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeGreaterThan(1e-4);
    tf.dispose([x, a, b]);
    model.dispose();
  });

  it('leaks nothing over 1,000 predictions and repeated fits', async () => {
    const model = statefulModel();
    const x = sequence(4).slice([0, 0, 0], [2, 4, 2]);
    const y = tf.ones([2, 1]);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    await expectNoLeak(async () => {
      for (let i = 0; i < 1000; i++) tf.dispose(model.predict(x, { verbose: 0 }));
      for (let i = 0; i < 3; i++) await model.fit(x, y, { epochs: 2, verbose: 0 });
    });
    tf.dispose([x, y]);
    model.dispose();
  });

  it.each<[string, (model: Sequential, x: tf.Tensor, y: tf.Tensor) => Promise<unknown>, RegExp]>([
    [
      'fit with another batch size',
      (model, x, y) => model.fit(x, y, { batchSize: 4, verbose: 0 }),
      /^Sequential\.fit: LSTM 'lstm(_\d+)?' is stateful and holds states for batches of 2 samples \(the model's batch size\); received batchSize: 4\. Pass batchSize: 2, or leave it out\./,
    ],
    [
      'a sample count that leaves a smaller last batch',
      (model) => model.evaluate(tf.zeros([3, 4, 2]), tf.zeros([3, 1]), { verbose: 0 }),
      /^Sequential\.evaluate: x has 3 samples, which do not divide into batches of 2: the last batch would hold 1/,
    ],
    [
      'a validation split that leaves a smaller batch',
      (model) =>
        model.fit(tf.zeros([6, 4, 2]), tf.zeros([6, 1]), { validationSplit: 0.5, verbose: 0 }),
      /^Sequential\.fit: x has 3 samples, which do not divide into batches of 2/,
    ],
  ])('refuses %s before any step', async (_case, run, message) => {
    const model = statefulModel();
    const x = tf.zeros([2, 4, 2]);
    const y = tf.zeros([2, 1]);
    const before = model.getWeights();
    await expect(run(model, x, y)).rejects.toThrow(message);
    const after = model.getWeights();
    after.forEach((w, i) => {
      expect(w).toBeAllClose(before[i], 0);
    });
    tf.dispose([x, y, ...before, ...after]);
    model.dispose();
  });
});
