import * as tf from '@tensorflow/tfjs';
import { useTestBackend } from '../helpers/tensors';
import { kerasOptimizerParams, makeOptimizer, resolveCompile } from '../../src/models/compile';

beforeAll(async () => {
  await useTestBackend();
});

describe('compile: optimizers with Keras 3 defaults', () => {
  it.each([
    ['sgd', 'SGD', { learningRate: 0.01 }],
    ['SGD', 'SGD', { learningRate: 0.01 }],
    ['adam', 'Adam', { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }],
    ['Adam', 'Adam', { learningRate: 1e-3 }],
    [
      'rmsprop',
      'RMSprop',
      { learningRate: 1e-3, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
    ],
    ['adagrad', 'Adagrad', { learningRate: 1e-3, initialAccumulatorValue: 0.1 }],
    ['adadelta', 'Adadelta', { learningRate: 1e-3, rho: 0.95, epsilon: 1e-7 }],
    ['adamax', 'Adamax', { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, decay: 0 }],
  ])('%s -> %s with %j', (name, keras, config) => {
    const { optimizer, optimizerClass } = makeOptimizer(name);
    expect(optimizerClass).toBe(keras);
    expect(optimizer.getConfig()).toEqual(expect.objectContaining(config));
    optimizer.dispose();
  });

  it('takes a learning rate with the name', () => {
    const { optimizer } = makeOptimizer({ name: 'adam', learningRate: 0.05 });
    expect(optimizer.getConfig()).toEqual(expect.objectContaining({ learningRate: 0.05 }));
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
      /expected `learningRate` to be a positive number, received -1/,
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
    const { optimizer, optimizerClass } = makeOptimizer(name);
    expect(kerasOptimizerParams(optimizer, optimizerClass, 48)).toEqual({ count, bytes });
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
