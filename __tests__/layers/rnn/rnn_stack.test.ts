import * as tf from '@tensorflow/tfjs';
import { Dense } from '../../../src/layers/dense';
import { Dropout } from '../../../src/layers/dropout';
import * as rnnStack from '../../../src/layers/rnn/rnn_stack';
import { SimpleRNN } from '../../../src/layers/rnn/simple_rnn';
import { StackedRNN } from '../../../src/layers/rnn/stacked_rnn';
import { registeredVariable, runLayers } from '../../../src/models/forward';
import { Sequential } from '../../../src/models/sequential';
import { RESIDENT_ENV_VAR } from '../../../src/models/resident_training';
import { pseudoRandom } from '../../helpers/reference_rnn';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

const { recurrentRun, runRecurrentStack } = rnnStack;

beforeAll(async () => {
  await useTestBackend();
});

/** Builds `layers` one after another on [samples, 6, features] inputs. */
function built<L extends tf.layers.Layer[]>(features: number, ...layers: L): L {
  tf.tidy(() => {
    let h: tf.Tensor = tf.zeros([2, 6, features]);
    for (const layer of layers) h = layer.apply(h) as tf.Tensor;
  });
  return layers;
}

describe('recurrentRun: which layers run as one kernel stack', () => {
  it('joins a SimpleRNN that returns sequences to the recurrent layer after it', () => {
    const layers = built(
      1,
      new SimpleRNN({ units: 5, returnSequences: true }),
      new SimpleRNN({ units: 4 }),
      new Dense({ units: 1 }),
    );
    expect(recurrentRun(layers, 0)).toHaveLength(2);
    expect(recurrentRun(layers, 1)).toHaveLength(1);
    expect(recurrentRun(layers, 2)).toHaveLength(0);
  });

  it('joins StackedRNN layers, and stops after a layer that returns only its last step', () => {
    const layers = built(
      3,
      new StackedRNN({ cells: [{ units: 4 }, { units: 3 }], returnSequences: true }),
      new SimpleRNN({ units: 2, returnSequences: true, goBackwards: true }),
      new SimpleRNN({ units: 5 }),
      new Dense({ units: 2 }),
    );
    expect(recurrentRun(layers, 0)).toHaveLength(3);
  });

  it('joins a Dropout between two recurrent layers, but not one after the last', () => {
    const layers = built(
      2,
      new SimpleRNN({ units: 3, returnSequences: true }),
      new Dropout({ rate: 0.2 }),
      new SimpleRNN({ units: 3, returnSequences: true }),
      new Dropout({ rate: 0.2 }),
      new SimpleRNN({ units: 4 }),
      new Dropout({ rate: 0.2 }),
      new Dense({ units: 1 }),
    );
    expect(recurrentRun(layers, 0)).toEqual(layers.slice(0, 5));
  });

  it('does not join across other layers, a layer that returns states, or an unbuilt one', () => {
    const withDense = built(
      2,
      new SimpleRNN({ units: 3, returnSequences: true }),
      new Dense({ units: 3 }),
      new SimpleRNN({ units: 3 }),
    );
    expect(recurrentRun(withDense, 0)).toHaveLength(1);
    const twoDropouts = built(
      2,
      new SimpleRNN({ units: 3, returnSequences: true }),
      new Dropout({ rate: 0.2 }),
      new Dropout({ rate: 0.1 }),
      new SimpleRNN({ units: 3 }),
    );
    expect(recurrentRun(twoDropouts, 0)).toHaveLength(1);
    const [states] = built(
      2,
      new SimpleRNN({ units: 3, returnSequences: true, returnState: true }),
    );
    expect(recurrentRun([states, new SimpleRNN({ units: 2 })], 0)).toHaveLength(0);
    expect(recurrentRun([new SimpleRNN({ units: 2 })], 0)).toHaveLength(0);
  });
});

describe('runRecurrentStack', () => {
  function stockLayers(): [SimpleRNN, SimpleRNN] {
    return built(
      1,
      new SimpleRNN({ units: 8, returnSequences: true, recurrentDropout: 0.3 }),
      new SimpleRNN({ units: 6, goBackwards: true }),
    );
  }

  it('gives the values and weight gradients of the layers applied one by one, bit for bit', () => {
    const layers = stockLayers();
    const x = tf.tensor3d(pseudoRandom(4 * 6, 3), [4, 6, 1]);
    const weights = layers.flatMap((l) => l.trainableWeights.map(registeredVariable));
    // Inference: no dropout masks, so the two runs see the same inputs.
    const run = (stacked: boolean) => () =>
      tf.sum<tf.Scalar>(
        tf.square(
          stacked
            ? runRecurrentStack(layers, x, false)
            : (layers[1].apply(layers[0].apply(x)) as tf.Tensor),
        ),
      );
    const stacked = tf.variableGrads(run(true), weights);
    const separate = tf.variableGrads(run(false), weights);
    expect(stacked.value).toBeAllClose(separate.value, 0, 0);
    for (const w of weights) {
      expect(stacked.grads[w.name]).toBeAllClose(separate.grads[w.name], 0, 0);
    }
    tf.dispose([x, stacked.value, separate.value]);
    tf.dispose(Object.values(stacked.grads));
    tf.dispose(Object.values(separate.grads));
  });

  it('with seeded Dropout layers between, trains with the values and gradients of the layers one by one', () => {
    // The course's stock model: SimpleRNN -> Dropout -> SimpleRNN -> Dropout -> Dense. Each
    // run gets Dropout layers of its own with the same seeds: the same sequence of masks.
    const dropouts = () => [5, 6, 7].map((seed, i) => new Dropout({ rate: 0.3 - 0.05 * i, seed }));
    const [a1, a2, a3] = dropouts();
    const [b1, b2, b3] = dropouts();
    const [rnn1, , rnn2, , rnn3, , dense] = built(
      1,
      new SimpleRNN({ units: 8, returnSequences: true }),
      a1,
      new SimpleRNN({ units: 6, returnSequences: true }),
      a2,
      new SimpleRNN({ units: 5 }),
      a3,
      new Dense({ units: 1 }),
    );
    const layers = [rnn1, a1, rnn2, a2, rnn3, a3, dense];
    const oneByOne = [rnn1, b1, rnn2, b2, rnn3, b3, dense];
    const x = tf.tensor3d(pseudoRandom(4 * 6, 8), [4, 6, 1]);
    const weights = layers.flatMap((l) => l.trainableWeights.map(registeredVariable));
    const spy = jest.spyOn(rnnStack, 'runRecurrentStack');
    const run = (stacked: boolean) => () =>
      tf.sum<tf.Scalar>(
        tf.square(
          stacked
            ? runLayers(layers, x, true, false).output
            : oneByOne.reduce<tf.Tensor>((h, l) => l.apply(h, { training: true }) as tf.Tensor, x),
        ),
      );
    try {
      const stacked = tf.variableGrads(run(true), weights);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]?.[0]).toHaveLength(5);
      const separate = tf.variableGrads(run(false), weights);
      expect(stacked.value).toBeAllClose(separate.value, 0, 0);
      for (const w of weights) {
        expect(stacked.grads[w.name]).toBeAllClose(separate.grads[w.name], 0, 0);
      }
      // The masks dropped something: the loss is not the one of inference.
      const inference = tf.tidy(() => tf.sum(tf.square(runLayers(layers, x, false, false).output)));
      expect(inference).not.toBeAllClose(stacked.value, 1e-6, 0);
      tf.dispose([stacked.value, separate.value, inference]);
      tf.dispose(Object.values(stacked.grads));
      tf.dispose(Object.values(separate.grads));
    } finally {
      spy.mockRestore();
      x.dispose();
    }
  });

  it('rejects an input of other features, naming the first layer, before any work', () => {
    const layers = stockLayers();
    tf.tidy(() => {
      expect(() => runRecurrentStack(layers, tf.zeros([2, 6, 3]), true)).toThrow(
        new RegExp(`SimpleRNN '${layers[0].name}': expected 1 features per step`),
      );
    });
  });

  it('leaks no tensors in training', async () => {
    const layers = stockLayers();
    const x = tf.tensor3d(pseudoRandom(4 * 6, 5), [4, 6, 1]);
    await expectNoLeak(() => {
      const weights = layers.flatMap((l) => l.trainableWeights.map(registeredVariable));
      const { value, grads } = tf.variableGrads(
        () => tf.sum<tf.Scalar>(runRecurrentStack(layers, x, true)),
        weights,
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
  });
});

describe('a Sequential model runs its consecutive recurrent layers as one stack', () => {
  it('in predict and in fit, with the numbers of the layers one by one', async () => {
    const model = new Sequential([
      new SimpleRNN({ units: 7, returnSequences: true, inputShape: [5, 2] }),
      new SimpleRNN({ units: 4 }),
      new Dense({ units: 1 }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const x = tf.tensor3d(pseudoRandom(8 * 5 * 2, 9), [8, 5, 2]);
    const y = tf.tensor2d(pseudoRandom(8, 10), [8, 1]);
    const spy = jest.spyOn(rnnStack, 'runRecurrentStack');
    try {
      const predicted = model.predict(x);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]?.[0]).toEqual(model.layers.slice(0, 2));
      const oneByOne = tf.tidy(() => {
        let h: tf.Tensor = x;
        for (const layer of model.layers) h = layer.apply(h) as tf.Tensor;
        return h;
      });
      expect(predicted).toBeAllClose(oneByOne, 0, 0);
      spy.mockClear();
      // fit's tfjs steps: its resident steps run no op (see resident_training.test.ts).
      process.env[RESIDENT_ENV_VAR] = 'off';
      await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
      expect(spy).toHaveBeenCalledTimes(2);
      tf.dispose([predicted, oneByOne]);
    } finally {
      delete process.env.TFJS_KERAS_RNN_RESIDENT;
      spy.mockRestore();
      tf.dispose([x, y]);
    }
  });

  it('keeps a Dense after the stack as the last layer for the logits', () => {
    const layers = built(
      2,
      new SimpleRNN({ units: 3, returnSequences: true }),
      new SimpleRNN({ units: 3 }),
      new Dense({ units: 4, activation: 'softmax' }),
    );
    const x = tf.tensor3d(pseudoRandom(2 * 6 * 2, 4), [2, 6, 2]);
    const { output, logits } = runLayers(layers, x, false, true);
    if (logits === undefined) throw new Error('expected logits');
    expect(logits.shape).toEqual([2, 4]);
    const probabilities = tf.softmax(logits);
    expect(probabilities).toBeAllClose(output, 1e-6, 1e-6);
    tf.dispose([x, output, logits, probabilities]);
  });
});

describe('a Dense layer right after the recurrent layers runs in the stack op, as its head', () => {
  it.each<[string, () => tf.layers.Layer[], number]>([
    [
      'the stock model: two SimpleRNNs and Dense(1)',
      () =>
        built(
          1,
          new SimpleRNN({ units: 8, returnSequences: true }),
          new SimpleRNN({ units: 6, goBackwards: true }),
          new Dense({ units: 1 }),
        ),
      1,
    ],
    [
      'the letters model: one SimpleRNN and Dense(5, softmax), then another Dense',
      () =>
        built(
          1,
          new SimpleRNN({ units: 3 }),
          new Dense({ units: 5, activation: 'softmax' }),
          new Dense({ units: 2, activation: 'tanh', useBias: false }),
        ),
      1,
    ],
    [
      'a Dropout between the last SimpleRNN and the Dense: no head',
      () =>
        built(
          1,
          new SimpleRNN({ units: 4, returnSequences: true }),
          new SimpleRNN({ units: 4 }),
          new Dropout({ rate: 0.5 }),
          new Dense({ units: 2 }),
        ),
      0,
    ],
  ])('%s: the values and gradients of the layers one by one, bit for bit', (_name, make, heads) => {
    const layers = make();
    const x = tf.tensor3d(pseudoRandom(4 * 6, 11), [4, 6, 1]);
    const weights = layers.flatMap((l) => l.trainableWeights.map(registeredVariable));
    const spy = jest.spyOn(rnnStack, 'runRecurrentStack');
    // Inference: no dropout masks, so the two runs see the same inputs.
    const run = (inStack: boolean) => () =>
      tf.sum<tf.Scalar>(
        tf.square(
          inStack
            ? runLayers(layers, x, false, false).output
            : layers.reduce<tf.Tensor>((h, l) => l.apply(h) as tf.Tensor, x),
        ),
      );
    try {
      const inStack = tf.variableGrads(run(true), weights);
      expect(spy.mock.calls.filter((call) => call[3] !== undefined)).toHaveLength(heads);
      const separate = tf.variableGrads(run(false), weights);
      expect(inStack.value).toBeAllClose(separate.value, 0, 0);
      for (const w of weights) {
        expect(inStack.grads[w.name]).toBeAllClose(separate.grads[w.name], 0, 0);
      }
      tf.dispose([inStack.value, separate.value]);
      tf.dispose(Object.values(inStack.grads));
      tf.dispose(Object.values(separate.grads));
    } finally {
      spy.mockRestore();
      x.dispose();
    }
  });

  it("gives a final softmax Dense head's logits", () => {
    const layers = built(
      2,
      new SimpleRNN({ units: 3 }),
      new Dense({ units: 4, activation: 'softmax' }),
    );
    const x = tf.tensor3d(pseudoRandom(2 * 6 * 2, 5), [2, 6, 2]);
    const { output, logits } = runLayers(layers, x, false, true);
    if (logits === undefined) throw new Error('expected logits');
    const dense = layers[1];
    const separate = tf.tidy(() => dense.logits(layers[0].apply(x) as tf.Tensor));
    expect(logits).toBeAllClose(separate, 0, 0);
    expect(tf.softmax(logits)).toBeAllClose(output, 0, 0);
    tf.dispose([x, output, logits, separate]);
  });
});
