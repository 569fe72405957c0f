/**
 * Keras features that the package does not implement yet are refused by name wherever they can
 * be asked for, and pass at Keras's default value; and every layer takes back its own config,
 * which its constructor checks like any other options.
 */
import * as tf from '@tensorflow/tfjs';
import {
  Adam,
  Dense,
  Dropout,
  Embedding,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  Sequential,
  SimpleRNN,
  SimpleRNNCell,
  StackedRNN,
} from '../../src';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import { type Extra, withModel } from './entry_points';

beforeAll(async () => {
  await useTestBackend();
});

describe('Keras features not implemented yet are refused by name', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'a regularizer',
      () => new Dense({ units: 2, kernelRegularizer: 'l2' } as never),
      /^Dense: `kernelRegularizer` is not supported yet \(received "l2"\): leave it out\.$/,
    ],
    [
      "Keras's spelling of a regularizer",
      () => new SimpleRNNCell({ units: 2, recurrent_regularizer: 'l2' } as never),
      /^SimpleRNNCell: `recurrent_regularizer` \(`recurrentRegularizer` here\) is not supported yet/,
    ],
    [
      'a seeded recurrent dropout',
      () => new SimpleRNN({ units: 2, dropout: 0.1, seed: 3 } as never),
      /^SimpleRNN: `seed` is not supported yet \(received 3\)/,
    ],
    [
      'initial weights',
      () => new Embedding({ inputDim: 3, outputDim: 2, weights: [[0]] } as never),
      /^Embedding: `weights` is not supported yet .*setWeights/,
    ],
    [
      'LoRA',
      () => new Dense({ units: 2, loraRank: 4 } as never),
      /^Dense: `loraRank` is not supported yet/,
    ],
    [
      'a trainable flag on the model',
      () => new Sequential([], { trainable: false } as never),
      /^Sequential: `trainable` is not supported yet \(received false\): set `trainable` on the layers instead\.$/,
    ],
    [
      'printFn in the options',
      () => {
        new Sequential([new Dense({ units: 1, inputShape: [2] })]).summary(console.log, {
          printFn: console.log,
        } as never);
      },
      /^Sequential.summary: `printFn` is not supported yet \(received a function\): pass it as the first argument/,
    ],
    [
      'an Adam with the moving average of the weights',
      () => new Adam({ useEma: true } as never),
      /^Adam: `useEma` is not supported yet \(received true\)/,
    ],
    [
      "a loss's reduction",
      () => {
        new Sequential().compile({ loss: { name: 'mse', reduction: 'sum' } as never });
      },
      /^Sequential.compile \(loss\): `reduction` is not supported yet \(received "sum"\)/,
    ],
  ])('%s', (_what, construct, message) => {
    expect(construct).toThrow(message);
  });

  it.each<[string, () => Extra, RegExp]>([
    [
      'initial_state',
      () => ({ initial_state: [tf.zeros([1, 2])] }),
      /unknown call argument `initial_state`: `initial_state` is `initialState` here/,
    ],
    [
      'initialStates',
      () => ({ initialStates: [tf.zeros([1, 2])] }),
      /unknown call argument `initialStates`; did you mean `initialState`\?/,
    ],
  ])('%s given to apply', async (_what, makeKwargs, message) => {
    const layer = new SimpleRNN({ units: 2 });
    const x = tf.ones([1, 3, 2]);
    const kwargs = makeKwargs();
    await expectNoLeak(() => {
      expect(() => layer.apply(x, kwargs)).toThrow(
        new RegExp(`^SimpleRNN 'simple_rnn[_0-9]*': ${message.source}`),
      );
    });
    expect(layer.built).toBe(false);
    tf.dispose([x, ...(Object.values(kwargs).flat() as tf.Tensor[])]);
  });

  it.each<[string, Extra, RegExp]>([
    ['sampleWeight', { sampleWeight: [1, 1, 1, 1] }, /`sampleWeight` is not supported yet/],
    ['classWeight', { classWeight: { 0: 1 } }, /`classWeight` is not supported yet/],
    ['class_weight', { class_weight: { 0: 1 } }, /`class_weight` \(`classWeight` here\)/],
    ['stepsPerEpoch', { stepsPerEpoch: 2 }, /`stepsPerEpoch` is not supported yet/],
  ])('fit with %s', async (_what, extra, message) => {
    await withModel(async ({ model, x, y }) => {
      await expect(model.fit(x, y, { verbose: 0, ...extra })).rejects.toThrow(
        new RegExp(`^Sequential.fit: ${message.source}`),
      );
    });
  });

  it("accepts each at Keras's default value, which asks for nothing", async () => {
    const defaults = [
      () => new SimpleRNN({ units: 2, stateful: false, unroll: false, seed: null } as never),
      () => new Dense({ units: 2, kernelRegularizer: null, biasConstraint: null } as never),
      () => new Adam({ useEma: false, emaMomentum: 0.99, decay: 0 } as never),
    ];
    for (const construct of defaults) expect(construct).not.toThrow();
    await withModel(async ({ model, x, y }) => {
      model.compile({
        optimizer: 'sgd',
        loss: 'mse',
        runEagerly: false,
        jitCompile: 'auto',
      } as never);
      await model.fit(x, y, { verbose: 0, sampleWeight: null, validationFreq: 1 } as never);
      const layer = model.layers.at(0);
      tf.dispose(
        layer?.apply(x, { training: false, mask: null, initialState: undefined }) as tf.Tensor,
      );
    });
  });
});

describe("the cases of Keras's simple_rnn_test.py that need what is not built yet", () => {
  // keras/src/layers/rnn/simple_rnn_test.py: each of these ran here without an error and gave
  // other numbers than Keras's before options were checked.
  const sequence = (): tf.Tensor => tf.ones([2, 4, 3]);
  it.each<[string, Extra, Extra, RegExp]>([
    [
      'test_basics: regularizers',
      { biasRegularizer: 'l1', kernelRegularizer: 'l2' },
      {},
      /`biasRegularizer` is not supported yet .* `kernelRegularizer` is not supported yet/,
    ],
    ['test_correctness: unroll', { unroll: true }, {}, /`unroll` is not supported yet/],
  ])('%s', async (_case, layerArgs, callArgs, message) => {
    const x = sequence();
    const tensors: Extra = { initialState: [tf.zeros([2, 4])] };
    const kwargs = Object.fromEntries(Object.keys(callArgs).map((k) => [k, tensors[k]]));
    await expectNoLeak(() => {
      expect(() => {
        const layer = new SimpleRNN({ units: 4, ...layerArgs });
        layer.apply(x, kwargs);
      }).toThrow(message);
    });
    tf.dispose([x, ...(Object.values(tensors).flat() as tf.Tensor[])]);
  });
});

describe('every layer takes back its own config', () => {
  it.each<[string, number[], () => tf.layers.Layer]>([
    [
      'SimpleRNN',
      [3, 2],
      () => new SimpleRNN({ units: 2, returnSequences: true, dropout: 0.1, trainable: false }),
    ],
    [
      'StackedRNN',
      [3, 2],
      () =>
        new StackedRNN({
          cells: [{ units: 2 }, { units: 3, trainable: false }],
          goBackwards: true,
        }),
    ],
    [
      'LSTM',
      [3, 2],
      () => new LSTM({ units: 2, recurrentActivation: 'hard_sigmoid', unitForgetBias: false }),
    ],
    ['GRU', [3, 2], () => new GRU({ units: 2, resetAfter: false, goBackwards: true })],
    [
      'StackedRNN',
      [3, 2],
      () => new StackedRNN({ cells: [new GRUCell({ units: 3 }), new LSTMCell({ units: 2 })] }),
    ],
    ['Dense', [3], () => new Dense({ units: 2, activation: 'relu' })],
    ['Embedding', [3], () => new Embedding({ inputDim: 4, outputDim: 2, inputLength: 3 })],
    ['Dropout', [3, 2], () => new Dropout({ rate: 0.2, noiseShape: [null, 1, 2], seed: 3 })],
  ])('%s, through a tfjs model JSON', async (className, inputShape, construct) => {
    const layer = construct();
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape }), layer] });
    const json = model.toJSON(null, false);
    if (typeof json === 'string') throw new Error('expected a JSON object');
    const copy = await tf.models.modelFromJSON(json);
    const copied = copy.layers.at(-1);
    expect(copied?.getClassName()).toBe(className);
    expect(copied?.getConfig()).toEqual(layer.getConfig());
    copy.dispose();
    model.dispose();
  });
});
