import * as tf from '@tensorflow/tfjs';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';
import { Dense, Dropout, Embedding, SimpleRNN, StackedRNN } from '../../src/index';
import { Sequential } from '../../src/models/sequential';

beforeAll(async () => {
  await useTestBackend();
});

function stockModel(): Sequential {
  return new Sequential([
    new SimpleRNN({ units: 80, returnSequences: true, inputShape: [60, 1] }),
    new Dropout({ rate: 0.2 }),
    new SimpleRNN({ units: 100 }),
    new Dropout({ rate: 0.2 }),
    new Dense({ units: 1 }),
  ]);
}

describe('Sequential: building', () => {
  it('names models as Keras does: sequential, sequential_1, ...', () => {
    const a = new Sequential();
    const b = new Sequential();
    const c = new Sequential([], { name: 'mine' });
    expect([a.name, b.name, c.name]).toEqual(['sequential', 'sequential_1', 'mine']);
  });

  it('builds the stock model from inputShape: shapes and exact parameter counts', () => {
    const model = stockModel();
    expect(model.built).toBe(true);
    expect(model.inputShape).toEqual([null, 60, 1]);
    expect(model.outputShape).toEqual([null, 1]);
    expect(model.layers.map((l) => l.countParams())).toEqual([6560, 0, 18100, 0, 101]);
    expect(model.countParams()).toBe(24761);
    expect(model.trainableWeights).toHaveLength(8);
    model.dispose();
  });

  it('SimpleRNN(3) on 5 features has 27 parameters', () => {
    const model = new Sequential([new SimpleRNN({ units: 3, inputShape: [4, 5] })]);
    expect(model.countParams()).toBe(27);
    expect(model.outputShape).toEqual([null, 3]);
    model.dispose();
  });

  it('counts a StackedRNN and an Embedding', () => {
    const model = new Sequential([
      new Embedding({ inputDim: 5, outputDim: 2, inputShape: [4] }),
      new StackedRNN({ cells: [{ units: 4 }, { units: 3 }], returnSequences: true }),
      new Dense({ units: 5, activation: 'softmax' }),
    ]);
    // 10 + (2*4 + 4*4 + 4) + (4*3 + 3*3 + 3) + (3*5 + 5)
    expect(model.countParams()).toBe(10 + 28 + 24 + 20);
    expect(model.outputShape).toEqual([null, 4, 5]);
    model.dispose();
  });

  it('without an inputShape, builds on the first predict from the shape of x, as Keras', () => {
    const model = new Sequential();
    model.add(new SimpleRNN({ units: 3 }));
    model.add(new Dense({ units: 2 }));
    expect(model.built).toBe(false);
    expect(model.inputShape).toBeNull();
    const y = model.predict(tf.zeros([5, 4, 2]), { verbose: 0 });
    expect(y.shape).toEqual([5, 2]);
    expect(model.built).toBe(true);
    expect(model.inputShape).toEqual([null, 4, 2]);
    expect(model.countParams()).toBe(2 * 3 + 3 * 3 + 3 + 3 * 2 + 2);
    y.dispose();
    model.dispose();
  });

  it('build() takes the shape with its batch axis, and refuses another once built', () => {
    const model = new Sequential([new SimpleRNN({ units: 3 })]);
    model.build([null, 4, 5]);
    expect(model.countParams()).toBe(27);
    model.build([null, 4, 5]);
    expect(() => {
      model.build([null, 4, 6]);
    }).toThrow(/already built for inputs of shape \[None, 4, 5\], received \[None, 4, 6\]/);
    model.dispose();
  });

  it('runs plain tfjs layers too', () => {
    const model = new Sequential([
      new SimpleRNN({ units: 3, inputShape: [4, 2] }),
      tf.layers.dense({ units: 2 }),
    ]);
    const y = model.predict(tf.ones([2, 4, 2]), { verbose: 0 });
    expect(y.shape).toEqual([2, 2]);
    y.dispose();
    model.dispose();
  });
});

describe('Sequential: add() errors', () => {
  it.each([
    [
      'a recurrent layer after one without returnSequences',
      () => [new SimpleRNN({ units: 4, inputShape: [5, 2], name: 'first' })],
      () => new SimpleRNN({ units: 3, name: 'second' }),
      /SimpleRNN 'second' needs a sequence \[samples, timesteps, features\], but SimpleRNN 'first' before it returns only its last step \[samples, units\] \(returnSequences: false\)\. Create 'first' with returnSequences: true\./,
    ],
    [
      'the same with a Dropout in between',
      () => [new SimpleRNN({ units: 4, name: 'rnn_a' }), new Dropout({ rate: 0.2 })],
      () => new StackedRNN({ cells: [{ units: 3 }], name: 'rnn_b' }),
      /StackedRNN 'rnn_b' needs a sequence .* but SimpleRNN 'rnn_a' .*Create 'rnn_a' with returnSequences: true/,
    ],
    [
      'a recurrent layer after a Dense (the layer explains its rank)',
      () => [new Dense({ units: 4, inputShape: [3], name: 'd' })],
      () => new SimpleRNN({ units: 3, name: 'r' }),
      /SimpleRNN 'r': expected input of rank 3 \[samples, timesteps, features\], received shape \[None, 4\]/,
    ],
    [
      'returnState inside Sequential',
      () => [],
      () => new SimpleRNN({ units: 3, returnState: true, name: 'stateful' }),
      /SimpleRNN 'stateful' has returnState: true and so returns several tensors/,
    ],
    [
      'a duplicate name',
      () => [new Dense({ units: 2, name: 'twin', inputShape: [3] })],
      () => new Dense({ units: 2, name: 'twin' }),
      /already has a layer named 'twin' \(Dense 'twin'\); layer names must be unique/,
    ],
    ['not a layer', () => [], () => ({ units: 3 }), /expected a layer .* received object/],
  ])('rejects %s and leaves the model unchanged', (_what, before, next, message) => {
    const model = new Sequential(before());
    const count = model.layers.length;
    expect(() => {
      model.add(next() as tf.layers.Layer);
    }).toThrow(message);
    expect(model.layers).toHaveLength(count);
    model.dispose();
  });

  it('rejects the same layer twice', () => {
    const layer = new Dense({ units: 2, inputShape: [3] });
    const model = new Sequential([layer]);
    expect(() => {
      model.add(layer);
    }).toThrow(/Dense '.*' is already in the model/);
    model.dispose();
  });

  it('rejects a constructor argument that is not a list', () => {
    expect(() => new Sequential(new Dense({ units: 1 }) as unknown as tf.layers.Layer[])).toThrow(
      /expected a list of layers, received object\. Write new Sequential\(\[layer1, layer2\]\)/,
    );
  });
});

describe('Sequential: weights', () => {
  it('getWeights returns copies in Keras order; setWeights writes them back', () => {
    const model = new Sequential([
      new SimpleRNN({ units: 3, inputShape: [4, 2] }),
      new Dense({ units: 1 }),
    ]);
    const weights = model.getWeights();
    expect(weights.map((w) => w.shape)).toEqual([[2, 3], [3, 3], [3], [3, 1], [1]]);
    const ones = weights.map((w) => tf.onesLike(w));
    model.setWeights(ones);
    expect(model.getWeights()[1]).toBeAllClose(tf.ones([3, 3]));
    // The copies the caller got are untouched and independent.
    expect(weights[2]).toBeAllClose(tf.zeros([3]));
    weights[0]?.dispose();
    expect(model.getWeights()[0]).toBeAllClose(tf.ones([2, 3]));
    model.dispose();
  });

  it.each([
    [
      'too few tensors',
      (w: tf.Tensor[]) => w.slice(1),
      /expected 5 tensors \(.*simple_rnn_cell\/kernel \[2, 3\].*\), received 4/,
    ],
    [
      'a wrong shape',
      (w: tf.Tensor[]) => [tf.zeros([3, 2]), ...w.slice(1)],
      /expected weight 0 \(.*kernel\) of shape \[2, 3\], received shape \[3, 2\]/,
    ],
    ['not a list', () => 'weights', /expected 5 tensors .* received string/],
  ])('setWeights rejects %s and writes nothing', (_what, edit, message) => {
    const model = new Sequential([
      new SimpleRNN({ units: 3, inputShape: [4, 2] }),
      new Dense({ units: 1 }),
    ]);
    const before = model.getWeights();
    const bad = edit(before.map((w) => tf.add(w, 1)));
    expect(() => {
      model.setWeights(bad as tf.Tensor[]);
    }).toThrow(message);
    model.getWeights().forEach((w, i) => {
      expect(w).toBeAllClose(before[i] ?? tf.scalar(NaN));
    });
    model.dispose();
  });

  it('setWeights on a model not built yet explains why', () => {
    const model = new Sequential([new Dense({ units: 1 })]);
    expect(() => {
      model.setWeights([]);
    }).toThrow(
      /is not built yet, so it has no weights; give the first layer an inputShape or call build/,
    );
  });
});

describe('Sequential: compile', () => {
  it("without an optimizer takes Keras's default, RMSprop, also on a second compile", async () => {
    const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    model.compile({ loss: 'mse' });
    expect(model.optimizer?.getClassName()).toBe('RMSprop');
    const history = await model.fit(tf.ones([2, 2]), tf.ones([2, 1]), { verbose: 0 });
    expect(history.epoch).toEqual([0]);
    model.dispose();
  });
});

describe('Sequential: dispose', () => {
  it('frees every weight and the optimizer, and refuses work afterwards', async () => {
    const before = tf.memory().numTensors;
    const model = stockModel();
    model.compile({ optimizer: 'adam', loss: 'mse' });
    await model.fit(tf.zeros([2, 60, 1]), tf.zeros([2, 1]), { verbose: 0 });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before + 2); // the two zeros() above
    expect(() => model.predict(tf.zeros([1, 60, 1]))).toThrow(
      /the model 'sequential_\d+' was disposed/,
    );
    model.dispose(); // twice is harmless
  });

  it('predict leaves only its result behind', async () => {
    const model = stockModel();
    const x = tf.zeros([70, 60, 1]);
    await expectNoLeak(() => {
      const y = model.predict(x, { batchSize: 32, verbose: 0 });
      expect(y.shape).toEqual([70, 1]);
      y.dispose();
    });
    x.dispose();
    model.dispose();
  });
});
