/**
 * gradientFlow beyond the Keras fixtures (fixtures.test.ts replays every gradient_flow section
 * against Keras's unrolled cells): what it refuses, that it changes and leaks nothing, that its
 * loss is the compiled one, and the step order of goBackwards layers and Bidirectional entries.
 */
import * as tf from '@tensorflow/tfjs';
import {
  Bidirectional,
  Dense,
  GRU,
  KERNEL_ENV_VAR,
  LSTM,
  Sequential,
  SimpleRNN,
  StackedRNN,
  gradientFlow,
} from '../../src';
import { useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

const seeded = (seed: number) => ({
  kernelInitializer: tf.initializers.glorotUniform({ seed }),
  recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
});

function data(samples = 4, steps = 7, features = 3): { x: tf.Tensor3D; y: tf.Tensor2D } {
  return {
    x: tf.randomNormal<tf.Rank.R3>([samples, steps, features], 0, 1, 'float32', 11),
    y: tf.randomNormal<tf.Rank.R2>([samples, 1], 0, 1, 'float32', 12),
  };
}

function compiled(layers: tf.layers.Layer[]): Sequential {
  const model = new Sequential(layers);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  return model;
}

describe('gradientFlow', () => {
  it('gives the compiled loss, Keras-reduced, as evaluate does, and changes nothing', async () => {
    const { x, y } = data();
    const model = compiled([
      new LSTM({ units: 5, returnSequences: true, inputShape: [7, 3], ...seeded(1) }),
      new GRU({ units: 4, ...seeded(3) }),
      new Dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
    ]);
    const evaluated = (await model.evaluate(x, y, { verbose: 0, batchSize: 4 })) as number;
    const weights = model.getWeights();
    const before = tf.memory().numTensors;
    const flow = await gradientFlow(model, x, y);
    const again = await gradientFlow(model, x, y);
    expect(tf.memory().numTensors).toBe(before);
    expect(flow.loss).toBeCloseTo(evaluated, 6);
    expect(again).toEqual(flow);
    model.getWeights().forEach((w, i) => {
      expect(w).toBeAllClose(weights[i], 0);
    });
    expect(flow.layers.map((l) => l.layer)).toEqual(['lstm', 'gru']);
    expect(flow.layers[0]?.stepNorms).toHaveLength(7);
    expect(flow.layers[0]?.cellNorms).toHaveLength(7);
    expect(flow.layers[1]?.cellNorms).toBeUndefined();
    for (const l of flow.layers) for (const n of l.stepNorms) expect(n).toBeGreaterThan(0);
    tf.dispose([x, y, ...weights]);
    model.dispose();
  });

  it('gives goBackwards steps in input order: a reversed layer on x is a forward one on reversed x', async () => {
    const { x, y } = data();
    const backwards = compiled([
      new GRU({ units: 4, goBackwards: true, inputShape: [7, 3], ...seeded(7) }),
      new Dense({ units: 1 }),
    ]);
    const forwards = compiled([new GRU({ units: 4, inputShape: [7, 3] }), new Dense({ units: 1 })]);
    const xr = tf.reverse(x, 1);
    await forwards.predict(xr, { verbose: 0 }).data();
    forwards.setWeights(backwards.getWeights());
    const flow = await gradientFlow(backwards, x, y);
    const reversed = await gradientFlow(forwards, xr, y);
    const got = flow.layers[0]?.stepNorms ?? [];
    const want = [...(reversed.layers[0]?.stepNorms ?? [])].reverse();
    expect(got).toHaveLength(7);
    got.forEach((n, t) => {
      expect(Math.abs(n - (want[t] ?? 0))).toBeLessThanOrEqual(1e-5 * Math.abs(want[t] ?? 0));
    });
    // The gradient reaches the last processed step (input step 0) first: largest there.
    expect(got[0]).toBeGreaterThan(got[6] ?? Infinity);
    tf.dispose([x, y, xr]);
    backwards.dispose();
    forwards.dispose();
  });

  it('names a StackedRNN cell `layer/cell` and a Bidirectional direction `bidirectional/inner`', async () => {
    const { x } = data();
    const model = new Sequential([
      new Bidirectional({
        layer: new LSTM({ units: 3, returnSequences: true }),
        inputShape: [7, 3],
      }),
      new StackedRNN({
        cells: [
          { className: 'SimpleRNNCell', config: { units: 4 } },
          { className: 'GRUCell', config: { units: 2 } },
        ],
      }),
      new Dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const y = tf.tensor1d([0, 1, 1, 0]);
    const flow = await gradientFlow(model, x, y);
    const names = flow.layers.map((l) => l.layer);
    const [forward, backward, first, second] = names;
    expect(forward).toMatch(/^bidirectional[_\d]*\/forward_lstm/);
    expect(backward).toMatch(/^bidirectional[_\d]*\/backward_lstm/);
    expect(first).toMatch(/^stacked_rnn[_\d]*\/simple_rnn_cell/);
    expect(second).toMatch(/^stacked_rnn[_\d]*\/gru_cell/);
    expect(flow.layers[1]?.cellNorms).toHaveLength(7);
    tf.dispose([x, y]);
    model.dispose();
  });

  describe('refuses, before any work', () => {
    let x: tf.Tensor3D;
    let y: tf.Tensor2D;
    beforeAll(() => {
      ({ x, y } = data());
    });
    afterAll(() => {
      tf.dispose([x, y]);
    });

    it('a model without recurrent layers', async () => {
      const model = compiled([new Dense({ units: 1, inputShape: [7, 3] })]);
      await expect(gradientFlow(model, x, y)).rejects.toThrow(
        /no recurrent layer .*its layers: Dense 'dense/,
      );
      model.dispose();
    });

    it('an uncompiled model, which has no loss', async () => {
      const model = new Sequential([new SimpleRNN({ units: 2, inputShape: [7, 3] })]);
      await expect(gradientFlow(model, x, y)).rejects.toThrow(/is not compiled.*model\.compile/);
      model.dispose();
    });

    it('x and y that do not fit, and x that does not fit the model', async () => {
      const model = compiled([
        new SimpleRNN({ units: 2, inputShape: [7, 3] }),
        new Dense({ units: 1 }),
      ]);
      const y3 = tf.zeros([3, 1]);
      const x5 = tf.zeros([4, 7, 5]);
      await expect(gradientFlow(model, x, y3)).rejects.toThrow(
        /gradientFlow: expected x and y to hold the same number of samples, received 4 .* 3/,
      );
      await expect(gradientFlow(model, x5, y)).rejects.toThrow(/gradientFlow: .*5/);
      tf.dispose([y3, x5]);
      model.dispose();
    });

    it('a layer whose cells run outside the kernels, and a stateful layer', async () => {
      const elu = compiled([
        new SimpleRNN({ units: 2, activation: 'elu', inputShape: [7, 3] }),
        new Dense({ units: 1 }),
      ]);
      await expect(gradientFlow(elu, x, y)).rejects.toThrow(
        /'simple_rnn[_\d]*' has the activation 'elu'/,
      );
      const stateful = compiled([
        new SimpleRNN({ units: 2, stateful: true, batchInputShape: [4, 7, 3] }),
        new Dense({ units: 1 }),
      ]);
      await expect(gradientFlow(stateful, x, y)).rejects.toThrow(/is stateful/);
      elu.dispose();
      stateful.dispose();
    });

    it('a run without the WebAssembly kernels, saying why', async () => {
      const model = compiled([
        new SimpleRNN({ units: 2, inputShape: [7, 3] }),
        new Dense({ units: 1 }),
      ]);
      const before = process.env[KERNEL_ENV_VAR];
      process.env[KERNEL_ENV_VAR] = 'fused';
      try {
        await expect(gradientFlow(model, x, y)).rejects.toThrow(
          /TFJS_KERAS_RNN_KERNEL=fused is set/,
        );
      } finally {
        if (before === undefined) Reflect.deleteProperty(process.env, KERNEL_ENV_VAR);
        else process.env[KERNEL_ENV_VAR] = before;
      }
      model.dispose();
    });

    it('anything but a Sequential', async () => {
      const notAModel: unknown = {};
      await expect(gradientFlow(notAModel as Sequential, x, y)).rejects.toThrow(
        /expected a Sequential model of this package, received Object/,
      );
    });
  });
});
