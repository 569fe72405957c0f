import * as tf from '@tensorflow/tfjs';
import { SimpleRNN, SimpleRNNCell } from '../../../src/layers/rnn/simple_rnn';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';
import { pseudoRandom, referenceSimpleRnn, toMatrix } from '../../helpers/reference_rnn';

beforeAll(async () => {
  await useTestBackend();
});

function sequenceTensor(batch: number, steps: number, features: number, seed: number): tf.Tensor3D {
  return tf.tensor3d(pseudoRandom(batch * steps * features, seed), [batch, steps, features]);
}

/** Gives `layer` known weights; returns them as plain arrays for the reference. */
function setKnownWeights(layer: SimpleRNN, features: number, useBias: boolean, seed: number) {
  const units = layer.units;
  const kernel = toMatrix(pseudoRandom(features * units, seed, 0.8), features, units);
  const recurrent = toMatrix(pseudoRandom(units * units, seed + 1, 0.8), units, units);
  const bias = useBias ? pseudoRandom(units, seed + 2, 0.5) : null;
  const tensors: tf.Tensor[] = [tf.tensor2d(kernel), tf.tensor2d(recurrent)];
  if (bias !== null) tensors.push(tf.tensor1d(bias));
  layer.setWeights(tensors);
  tf.dispose(tensors);
  return { kernel, recurrent, bias };
}

describe('SimpleRNN output shapes (the course table)', () => {
  it.each([
    [[2, 1, 3], false, [2, 4]],
    [[2, 1, 3], true, [2, 1, 4]],
    [[1, 4, 2], false, [1, 4]],
    [[1, 4, 2], true, [1, 4, 4]],
  ])('input %j with returnSequences %s gives %j', (shape, returnSequences, expected) => {
    const layer = new SimpleRNN({ units: 4, returnSequences });
    const x = tf.zeros(shape);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual(expected);
    expect(layer.computeOutputShape([null, shape[1] ?? null, shape[2] ?? null])).toEqual([
      null,
      ...expected.slice(1),
    ]);
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('returnState returns the output then the final state', () => {
    const layer = new SimpleRNN({ units: 3, returnSequences: true, returnState: true });
    const x = sequenceTensor(2, 4, 2, 7);
    const [seq, state] = layer.apply(x) as tf.Tensor[];
    expect(seq.shape).toEqual([2, 4, 3]);
    expect(state.shape).toEqual([2, 3]);
    // The final state is the last step of the sequence.
    const last = tf.squeeze(tf.slice(seq, [0, 3, 0], [2, 1, 3]), [1]);
    expect(state).toBeAllClose(last, 0);
    tf.dispose([x, seq, state, last]);
    layer.dispose();
  });
});

describe('SimpleRNN math', () => {
  it.each([
    ['tanh', true, false],
    ['relu', true, false],
    ['sigmoid', false, false],
    ['linear', true, true],
    ['tanh', true, true],
  ])(
    'activation %s, useBias %s, goBackwards %s matches the step-by-step formula',
    (activation, useBias, goBackwards) => {
      const [batch, steps, features, units] = [3, 5, 2, 4];
      const layer = new SimpleRNN({
        units,
        activation,
        useBias,
        goBackwards,
        returnSequences: true,
      });
      const x = sequenceTensor(batch, steps, features, 11);
      layer.apply(x);
      const w = setKnownWeights(layer, features, useBias, 3);
      const y = layer.apply(x) as tf.Tensor;
      const expected = referenceSimpleRnn(
        x.arraySync(),
        w.kernel,
        w.recurrent,
        w.bias,
        activation,
        goBackwards,
      );
      expect(y).toBeAllClose(expected, 1e-5);
      tf.dispose([x, y]);
      layer.dispose();
    },
  );

  it('without returnSequences returns the last processed step', () => {
    const layer = new SimpleRNN({ units: 3, goBackwards: true });
    const x = sequenceTensor(2, 4, 2, 5);
    layer.apply(x);
    const w = setKnownWeights(layer, 2, true, 9);
    const y = layer.apply(x) as tf.Tensor;
    const all = referenceSimpleRnn(x.arraySync(), w.kernel, w.recurrent, w.bias, 'tanh', true);
    expect(y).toBeAllClose(
      all.map((s) => s[s.length - 1] ?? []),
      1e-5,
    );
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('shares one set of weights over every step: 27 parameters for 3 units on 5 features', () => {
    const layer = new SimpleRNN({ units: 3 });
    const x = tf.zeros([1, 10, 5]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    expect(layer.countParams()).toBe(27);
    expect(layer.getWeights().map((t) => t.shape)).toEqual([[5, 3], [3, 3], [3]]);
    expect(layer.weights.map((v) => v.name)).toEqual([
      `${layer.name}/simple_rnn_cell/kernel`,
      `${layer.name}/simple_rnn_cell/recurrent_kernel`,
      `${layer.name}/simple_rnn_cell/bias`,
    ]);
    x.dispose();
    layer.dispose();
  });

  it('ignores dropout at inference and applies it while training', () => {
    const layer = new SimpleRNN({
      units: 8,
      dropout: 0.5,
      recurrentDropout: 0.5,
      returnSequences: true,
    });
    const x = tf.ones([4, 6, 3]);
    const inference = layer.apply(x) as tf.Tensor;
    const noDropout = new SimpleRNN({ units: 8, returnSequences: true });
    noDropout.apply(x);
    noDropout.setWeights(layer.getWeights());
    const reference = noDropout.apply(x) as tf.Tensor;
    expect(inference).toBeAllClose(reference, 0);
    const training = layer.apply(x, { training: true }) as tf.Tensor;
    expect(training).not.toBeAllClose(reference, 1e-3);
    tf.dispose([x, inference, reference, training]);
    layer.dispose();
    noDropout.dispose();
  });

  it('leaks no tensors', async () => {
    const layer = new SimpleRNN({ units: 4, returnSequences: true, dropout: 0.2 });
    const x = sequenceTensor(2, 3, 2, 1);
    tf.dispose(layer.apply(x) as tf.Tensor);
    await expectNoLeak(() => {
      tf.dispose(layer.apply(x) as tf.Tensor);
      tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    });
    x.dispose();
    layer.dispose();
  });
});

describe('SimpleRNN defaults and config', () => {
  it('has Keras defaults', () => {
    const layer = new SimpleRNN({ units: 2 });
    expect(layer.getConfig()).toMatchObject({
      units: 2,
      activation: 'tanh',
      useBias: true,
      kernelInitializer: 'glorot_uniform',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      dropout: 0,
      recurrentDropout: 0,
      returnSequences: false,
      returnState: false,
      goBackwards: false,
    });
  });

  it('round-trips through getConfig and tfjs serialization', () => {
    const layer = new SimpleRNN({
      units: 3,
      activation: 'relu',
      useBias: false,
      returnSequences: true,
      goBackwards: true,
      dropout: 0.1,
      kernelInitializer: 'he_normal',
      inputShape: [4, 2],
    });
    const config = layer.getConfig();
    const copy = new SimpleRNN(config as unknown as ConstructorParameters<typeof SimpleRNN>[0]);
    expect(copy.getConfig()).toEqual({ ...config, name: copy.name });
    const model = tf.sequential({ layers: [layer] });
    const json = model.toJSON(null, false);
    if (typeof json === 'string') throw new Error('expected a JSON object');
    return tf.models.modelFromJSON(json).then((m) => {
      expect(m.layers[0]).toBeInstanceOf(SimpleRNN);
      expect(m.layers[0]?.getConfig()).toEqual(config);
      m.dispose();
      model.dispose();
    });
  });

  it('accepts tfjs initializer instances and their JSON form', () => {
    const layer = new SimpleRNN({
      units: 2,
      kernelInitializer: tf.initializers.constant({ value: 0.5 }),
    });
    const config = layer.getConfig();
    expect(config.kernelInitializer).toEqual({ className: 'Constant', config: { value: 0.5 } });
    const copy = new SimpleRNN(config as unknown as ConstructorParameters<typeof SimpleRNN>[0]);
    const x = tf.ones([1, 1, 2]);
    tf.dispose(copy.apply(x) as tf.Tensor);
    expect(copy.getWeights()[0]).toBeAllClose(
      [
        [0.5, 0.5],
        [0.5, 0.5],
      ],
      0,
    );
    x.dispose();
    copy.dispose();
  });
});

describe('SimpleRNN errors', () => {
  it.each([
    [{ units: 0 }, /SimpleRNN: expected `units` to be a positive integer, received 0/],
    [{ units: 2.5 }, /positive integer, received 2\.5/],
    [{ units: -1 }, /positive integer, received -1/],
    [
      { units: 4, activation: 'tanhh' },
      /unknown activation "tanhh"\. Known activations: 'linear', 'tanh'/,
    ],
    [
      { units: 4, kernelInitializer: 'glorot' },
      /unknown initializer "glorot"\. Known initializers: .*'glorot_uniform'/,
    ],
    [{ units: 4, dropout: 1 }, /`dropout` to be a number in \[0, 1\), received 1/],
    [{ units: 4, recurrentDropout: -0.1 }, /`recurrentDropout` to be a number in \[0, 1\)/],
  ])('constructor %j', (args, message) => {
    expect(() => new SimpleRNN(args)).toThrow(message);
  });

  it.each([
    [
      [2, 3],
      /expected input of rank 3 \[samples, timesteps, features\], received shape \[2, 3\]\..*\[2, 1, 3\].*\[1, 4, 2\].*reshape to \[2, 1, 3\]/,
    ],
    [[2, 3, 4, 5], /expected input of rank 3 .* received shape \[2, 3, 4, 5\]/],
    [[2, 0, 3], /expected at least one time step, received shape \[2, 0, 3\]/],
  ])('input of shape %j', (shape, message) => {
    const layer = new SimpleRNN({ units: 2 });
    const x = tf.zeros(shape);
    expect(() => layer.apply(x)).toThrow(message);
    x.dispose();
  });

  it('names the expected feature count when the input changes', () => {
    const layer = new SimpleRNN({ units: 2 });
    const x = tf.zeros([1, 2, 3]);
    const wrong = tf.zeros([1, 2, 4]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    expect(() => layer.apply(wrong)).toThrow(
      /expected 3 features per step .* received shape \[1, 2, 4\]/,
    );
    tf.dispose([x, wrong]);
    layer.dispose();
  });

  it('refuses to run a cell on its own', () => {
    const cell = new SimpleRNNCell({ units: 2 });
    const x = tf.zeros([1, 2]);
    expect(() => cell.call(x, {})).toThrow(/a cell runs inside a recurrent layer/);
    x.dispose();
  });
});
