import * as tf from '@tensorflow/tfjs';
import { Dense } from '../../src/layers/dense';
import { useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

describe('Dense', () => {
  it('computes activation(x W + b) on rank 2 input', () => {
    const layer = new Dense({ units: 2, activation: 'relu' });
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 1],
    ]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    layer.setWeights([
      tf.tensor2d([
        [1, -1],
        [0.5, 0],
        [0, 2],
      ]),
      tf.tensor1d([0.5, -0.5]),
    ]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y).toBeAllClose(
      [
        [2.5, 4.5],
        [0, 2.5],
      ],
      1e-6,
    );
    tf.dispose([x, y]);
  });

  it('applies the same weights at every step of a sequence, as Keras does', () => {
    const layer = new Dense({ units: 5, activation: 'softmax' });
    const x = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 1);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 4, 5]);
    const step = tf.tidy(
      () => layer.apply(tf.reshape(tf.slice(x, [1, 2, 0], [1, 1, 3]), [1, 3])) as tf.Tensor,
    );
    const fromSequence = tf.reshape(tf.slice(y, [1, 2, 0], [1, 1, 5]), [1, 5]);
    expect(fromSequence).toBeAllClose(step, 1e-6);
    expect(tf.sum(y, -1)).toBeAllClose(tf.ones([2, 4]), 1e-5);
    expect(layer.countParams()).toBe(3 * 5 + 5);
    tf.dispose([x, y, step, fromSequence]);
  });

  it('defaults to linear, glorot_uniform kernel and zero bias', () => {
    const layer = new Dense({ units: 3 });
    expect(layer.getConfig()).toMatchObject({
      activation: 'linear',
      useBias: true,
      kernelInitializer: 'glorot_uniform',
      biasInitializer: 'zeros',
    });
    const copy = new Dense(layer.getConfig() as unknown as ConstructorParameters<typeof Dense>[0]);
    expect(copy.getConfig()).toEqual({ ...layer.getConfig(), name: copy.name });
  });

  it.each([
    [{ units: 0 }, /Dense: expected `units` to be a positive integer, received 0/],
    [
      { units: 2, activation: 'softmaxx' },
      /Dense: unknown activation "softmaxx"\. Known activations:/,
    ],
  ])('refuses %j', (args, message) => {
    expect(() => new Dense(args)).toThrow(message);
  });

  it.each([
    [[3], /expected input of rank 2 or more \[samples, \.\.\., features\], received shape \[3\]/],
    [
      [2, 4],
      /expected 3 features on the last axis, as its weights were built for, received shape \[2, 4\]/,
    ],
  ])('refuses input of shape %j', (shape, message) => {
    const layer = new Dense({ units: 2 });
    const ok = tf.zeros([1, 3]);
    tf.dispose(layer.apply(ok) as tf.Tensor);
    const bad = tf.zeros(shape);
    expect(() => layer.apply(bad)).toThrow(message);
    tf.dispose([ok, bad]);
  });
});
