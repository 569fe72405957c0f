/**
 * LSTM and GRU as layers: Keras's weight layouts, names, defaults and parameter counts, the
 * states they return, the two orders of summation (implementation 1 with recurrent dropout),
 * dropout in training only, and their bad options. Their numbers against Keras are in the
 * lstm_* / gru_* / mixed_* fixtures (__tests__/fixtures.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { GRU, GRUCell, LSTM, LSTMCell, Sequential, StackedRNN } from '../../../src';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';
import { pseudoRandomTensor } from '../../helpers/random_tensors';

beforeAll(async () => {
  await useTestBackend();
});

function sequence(batch: number, steps: number, features: number, seed: number): tf.Tensor3D {
  return pseudoRandomTensor([batch, steps, features], seed) as tf.Tensor3D;
}

describe('weights as Keras lays them out', () => {
  it.each<[string, () => tf.layers.Layer, [string, number[]][], number]>([
    [
      'LSTM(4) on 3 features',
      () => new LSTM({ units: 4, inputShape: [5, 3] }),
      [
        ['lstm_cell/kernel', [3, 16]],
        ['lstm_cell/recurrent_kernel', [4, 16]],
        ['lstm_cell/bias', [16]],
      ],
      128,
    ],
    [
      'GRU(4) on 3 features, resetAfter',
      () => new GRU({ units: 4, inputShape: [5, 3] }),
      [
        ['gru_cell/kernel', [3, 12]],
        ['gru_cell/recurrent_kernel', [4, 12]],
        ['gru_cell/bias', [2, 12]],
      ],
      108,
    ],
    [
      'GRU(4) on 3 features, resetAfter false',
      () => new GRU({ units: 4, resetAfter: false, inputShape: [5, 3] }),
      [
        ['gru_cell/kernel', [3, 12]],
        ['gru_cell/recurrent_kernel', [4, 12]],
        ['gru_cell/bias', [12]],
      ],
      96,
    ],
  ])('%s', (_what, make, weights, params) => {
    const model = new Sequential([make()]);
    expect(
      model.weights.map((w) => [w.originalName.replace(/^[a-z_0-9]+\//, ''), w.shape]),
    ).toEqual(weights);
    expect(model.countParams()).toBe(params);
    model.dispose();
  });

  it("starts the LSTM's forget-gate bias at 1 (unitForgetBias), the rest from biasInitializer", () => {
    const layer = new LSTM({ units: 2, inputShape: [3, 1] });
    const model = new Sequential([layer]);
    const bias = model.weights.at(2)?.read();
    expect(bias).toBeAllClose([0, 0, 1, 1, 0, 0, 0, 0], 0);
    const without = new Sequential([
      new LSTM({ units: 2, unitForgetBias: false, inputShape: [3, 1] }),
    ]);
    expect(without.weights.at(2)?.read()).toBeAllClose([0, 0, 0, 0, 0, 0, 0, 0], 0);
    model.dispose();
    without.dispose();
  });

  it("takes Keras's defaults", () => {
    const lstm = new LSTMCell({ units: 2 });
    const gru = new GRUCell({ units: 2 });
    expect([lstm.activation, lstm.recurrentActivation, lstm.unitForgetBias]).toEqual([
      'tanh',
      'sigmoid',
      true,
    ]);
    expect([gru.activation, gru.recurrentActivation, gru.resetAfter]).toEqual([
      'tanh',
      'sigmoid',
      true,
    ]);
  });
});

describe('outputs and states', () => {
  it.each<[string, () => tf.layers.Layer, number[][]]>([
    [
      'LSTM returnState: [output, h, c]',
      () => new LSTM({ units: 4, returnState: true }),
      [
        [2, 4],
        [2, 4],
        [2, 4],
      ],
    ],
    [
      'GRU returnSequences and returnState: [sequence, h]',
      () => new GRU({ units: 4, returnSequences: true, returnState: true }),
      [
        [2, 5, 4],
        [2, 4],
      ],
    ],
    [
      "a mixed StackedRNN: the output, then every cell's states in order",
      () =>
        new StackedRNN({
          cells: [new GRUCell({ units: 5 }), new LSTMCell({ units: 4 }), { units: 3 }],
          returnState: true,
        }),
      [
        [2, 3],
        [2, 5],
        [2, 4],
        [2, 4],
        [2, 3],
      ],
    ],
  ])('%s', async (_what, make, shapes) => {
    const layer = make();
    const x = sequence(2, 5, 3, 1);
    tf.dispose(layer.apply(x) as tf.Tensor[]);
    await expectNoLeak(() => {
      const out = layer.apply(x) as tf.Tensor[];
      expect(out.map((t) => t.shape)).toEqual(shapes);
      expect(layer.computeOutputShape([null, 5, 3])).toEqual(
        shapes.map((s) => [null, ...s.slice(1)]),
      );
      tf.dispose(out);
    });
    x.dispose();
    layer.dispose();
  });

  it("an LSTM's output is its h, and h and c differ", () => {
    const layer = new LSTM({ units: 3, returnState: true });
    const x = sequence(2, 4, 2, 2);
    const [output, h, c] = layer.apply(x) as tf.Tensor[];
    expect(output).toBeAllClose(h, 0);
    expect(tf.max(tf.abs(tf.sub(h, c))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x, output, h, c]);
    layer.dispose();
  });
});

describe("Keras's two orders of summation", () => {
  // recurrentDropout switches Keras to implementation 1 (gate by gate); at inference no mask
  // is drawn, so the outputs are implementation 2's but for the order of the sums.
  it.each<[string, (recurrentDropout: number) => tf.layers.Layer]>([
    [
      'LSTM',
      (r) => new LSTM({ units: 4, returnSequences: true, recurrentDropout: r, inputShape: [5, 3] }),
    ],
    [
      'GRU',
      (r) => new GRU({ units: 4, returnSequences: true, recurrentDropout: r, inputShape: [5, 3] }),
    ],
    [
      'GRU resetAfter false',
      (r) =>
        new GRU({
          units: 4,
          returnSequences: true,
          resetAfter: false,
          recurrentDropout: r,
          inputShape: [5, 3],
        }),
    ],
  ])('%s: implementation 1 gives implementation 2 numbers', (_kind, make) => {
    const two = new Sequential([make(0)]);
    const one = new Sequential([make(0.5)]);
    const weights = two.getWeights();
    const bias = weights.at(2);
    if (bias !== undefined)
      weights[2] = tf.add(bias, tf.randomUniform(bias.shape, -0.5, 0.5, 'float32', 3));
    two.setWeights(weights);
    one.setWeights(weights);
    const x = sequence(2, 5, 3, 4);
    const a = two.predict(x, { verbose: 0 });
    const b = one.predict(x, { verbose: 0 });
    expect(b).toBeAllClose(a, 1e-6, 0);
    tf.dispose([x, a, b, ...weights]);
    two.dispose();
    one.dispose();
  });

  it('dropout acts in training only', () => {
    const layer = new GRU({ units: 4, dropout: 0.5, recurrentDropout: 0.5 });
    const x = sequence(2, 5, 3, 5);
    const inference = [layer.apply(x), layer.apply(x)] as tf.Tensor[];
    expect(inference[0]).toBeAllClose(inference[1] ?? tf.scalar(0), 0);
    const training = layer.apply(x, { training: true }) as tf.Tensor;
    expect(
      tf.max(tf.abs(tf.sub(training, inference[0] ?? training))).dataSync()[0],
    ).toBeGreaterThan(1e-4);
    tf.dispose([x, training, ...inference]);
    layer.dispose();
  });
});

describe('bad options', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'an unknown recurrentActivation, listing the known ones',
      () => new LSTM({ units: 2, recurrentActivation: 'hardSigmoidish' }),
      /^LSTM: unknown activation "hardSigmoidish"\. Known activations: 'linear', 'tanh', 'sigmoid'/,
    ],
    [
      "a GRU's option on an LSTM",
      () => new LSTM({ units: 2, resetAfter: true } as never),
      /^LSTM: unknown option `resetAfter`\. Known options: `units`, .*`unitForgetBias`/,
    ],
    [
      "an LSTM's option on a GRUCell",
      () => new GRUCell({ units: 2, unitForgetBias: true } as never),
      /^GRUCell: unknown option `unitForgetBias`\. Known options: .*`resetAfter`/,
    ],
    [
      'implementation 1 by hand',
      () => new GRU({ units: 2, implementation: 1 } as never),
      /^GRU: `implementation` is not supported yet \(received 1\): the order of the sums follows Keras/,
    ],
    [
      'units of 0',
      () => new GRU({ units: 0 }),
      /^GRU: expected `units` to be a positive integer, received 0\.$/,
    ],
  ])('%s', (_what, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('weights and cells that do not fit', () => {
  it('setWeights with a GRU bias of the other resetAfter mode names both shapes and the option', () => {
    const after = new Sequential([new GRU({ units: 2, inputShape: [3, 1] })]);
    const before = new Sequential([new GRU({ units: 2, resetAfter: false, inputShape: [3, 1] })]);
    const weights = before.getWeights();
    expect(() => {
      after.setWeights(weights);
    }).toThrow(
      /^Sequential\.setWeights: expected weight 2 \(gru_\d*\/?gru_cell\/bias\) of shape \[2, 6\], received shape \[6\]\. That is the bias of a GRU with `resetAfter: false`; this one has `resetAfter: true`/,
    );
    tf.dispose(weights);
    after.dispose();
    before.dispose();
  });

  it('a stack whose built cells do not chain is refused before any work', async () => {
    const lstm = new LSTMCell({ units: 3 });
    lstm.build([null, 5]);
    const gru = new GRUCell({ units: 2 });
    gru.build([null, 4]);
    await expectNoLeak(() => {
      expect(() => new StackedRNN({ cells: [lstm, gru] })).toThrow(
        /^StackedRNN: cell 'gru_cell[_0-9]*' was built for 4 input features, but the cell before it, 'lstm_cell[_0-9]*', outputs 3/,
      );
    });
    for (const w of [...lstm.weights, ...gru.weights]) w.dispose();
  });
});
