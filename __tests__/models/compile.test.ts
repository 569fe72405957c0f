import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { useTestBackend } from '../helpers/tensors';
import { kerasOptimizerParams, makeOptimizer, resolveCompile } from '../../src/models/compile';

beforeAll(async () => {
  await useTestBackend();
});

describe('compile: optimizers with Keras 3 defaults', () => {
  // Keras keeps the learning rate in a float32 variable: 0.01 reads back as Math.fround(0.01).
  it.each([
    ['sgd', 'SGD', { learningRate: Math.fround(0.01), momentum: 0, nesterov: false }],
    ['SGD', 'SGD', { learningRate: Math.fround(0.01) }],
    [
      'adam',
      'Adam',
      { learningRate: Math.fround(1e-3), beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false },
    ],
    ['Adam', 'Adam', { learningRate: Math.fround(1e-3) }],
    [
      'rmsprop',
      'RMSprop',
      { learningRate: Math.fround(1e-3), rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
    ],
    [
      'adagrad',
      'Adagrad',
      { learningRate: Math.fround(1e-3), initialAccumulatorValue: 0.1, epsilon: 1e-7 },
    ],
    ['adadelta', 'Adadelta', { learningRate: Math.fround(1e-3), rho: 0.95, epsilon: 1e-7 }],
    [
      'adamax',
      'Adamax',
      { learningRate: Math.fround(1e-3), beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    ],
  ])('%s -> %s with %j', (name, keras, config) => {
    const { optimizer, optimizerClass } = makeOptimizer(name);
    expect(optimizerClass).toBe(keras);
    expect(optimizer.getConfig()).toEqual(expect.objectContaining(config));
    optimizer.dispose();
  });

  it('takes a learning rate with the name', () => {
    const { optimizer } = makeOptimizer({ name: 'adam', learningRate: 0.05 });
    expect(optimizer.getConfig()).toEqual(
      expect.objectContaining({ learningRate: Math.fround(0.05) }),
    );
    optimizer.dispose();
  });

  it("takes Keras's options with the name, clipping included", () => {
    const { optimizer } = makeOptimizer({
      name: 'sgd',
      momentum: 0.9,
      nesterov: true,
      clipnorm: 1,
    });
    expect(optimizer.getConfig()).toEqual(
      expect.objectContaining({ momentum: 0.9, nesterov: true, clipnorm: 1 }),
    );
    optimizer.dispose();
  });

  it('passes a tf.Optimizer through unchanged', () => {
    const own = tf.train.momentum(0.1, 0.9);
    const { optimizer, optimizerClass } = makeOptimizer(own);
    expect(optimizer).toBe(own);
    expect(optimizerClass).toBe('Momentum');
  });

  it.each([
    [
      'an unknown name',
      'adamw',
      /unknown optimizer "adamw"\. Known optimizers: 'adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'/,
    ],
    [
      'a bad learning rate',
      { name: 'sgd', learningRate: -1 },
      /expected `learningRate` to be a number >= 0, received -1/,
    ],
    ['a number', 5, /unknown optimizer 5/],
  ])('rejects %s', (_what, spec, message) => {
    expect(() => makeOptimizer(spec as string)).toThrow(message);
  });

  // Keras 3.15 after one fit step prints these "Optimizer params" for 48 trainable values
  // (python: model.compile(optimizer=name, ...); model.fit(...); model.summary()).
  it.each([
    ['sgd', 2, 12],
    ['rmsprop', 50, 204],
    ['adagrad', 50, 204],
    ['adadelta', 98, 396],
    ['adamax', 98, 396],
    ['adam', 98, 396],
  ])('counts %s slots as Keras: %i values, %i bytes', (name, count, bytes) => {
    const { optimizer } = makeOptimizer(name);
    expect(kerasOptimizerParams(optimizer, 48)).toEqual({ count, bytes });
    optimizer.dispose();
  });
});

describe('compile: arguments', () => {
  it('defaults to rmsprop, as Keras', () => {
    const state = resolveCompile({ loss: 'mse' });
    expect(state.optimizerClass).toBe('RMSprop');
    expect(state.loss.kerasName).toBe('mean_squared_error');
    state.optimizer.dispose();
  });

  it.each([
    [
      'no loss',
      { optimizer: 'adam' },
      /expected a `loss` \(for example 'mse' or 'sparse_categorical_crossentropy'\), received none/,
    ],
    ['an unknown loss', { loss: 'rmse' }, /unknown loss "rmse"/],
    ['an unknown metric', { loss: 'mse', metrics: ['precision'] }, /unknown metric "precision"/],
    [
      'metrics not a list',
      { loss: 'mse', metrics: 'mae' },
      /expected `metrics` to be a list such as \['accuracy'\], received "mae"/,
    ],
    ['an unknown optimizer', { loss: 'mse', optimizer: 'lion' }, /unknown optimizer "lion"/],
  ])('rejects %s', (_what, args, message) => {
    expect(() => resolveCompile(args as unknown as Parameters<typeof resolveCompile>[0])).toThrow(
      message,
    );
  });
});
