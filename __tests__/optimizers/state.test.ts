/**
 * Optimizer state: slots and the iteration count saved by `getWeights` and restored by
 * `setWeights` (training resumes exactly), tensors (none leak across steps; `dispose` frees
 * every slot), tfjs's `minimize`, and `applyGradients`' errors.
 */
import * as tf from '@tensorflow/tfjs';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  type KerasOptimizer,
  RMSprop,
  SGD,
} from '../../src/optimizers';
import { useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

const MAKERS: [string, () => KerasOptimizer][] = [
  ['SGD momentum', () => new SGD({ learningRate: 0.1, momentum: 0.9 })],
  ['Adam amsgrad', () => new Adam({ learningRate: 0.1, amsgrad: true })],
  ['RMSprop centered momentum', () => new RMSprop({ centered: true, momentum: 0.5 })],
  ['Adagrad', () => new Adagrad({ learningRate: 0.1 })],
  ['Adadelta', () => new Adadelta({ learningRate: 1 })],
  ['Adamax', () => new Adamax({ learningRate: 0.1 })],
];

function variable(values: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor1d(values)));
}

function step(optimizer: tf.Optimizer, v: tf.Variable, g: number[]): void {
  tf.tidy(() => {
    optimizer.applyGradients({ [v.name]: tf.tensor1d(g) });
  });
}

const GRADS = [
  [0.5, -0.25],
  [0.1, 0.75],
  [-0.3, 0.2],
];

describe('getWeights / setWeights', () => {
  it('lists the iteration count, then each slot under <variable>/<slot>', async () => {
    const adam = new Adam();
    const v = variable([1, 2]);
    step(adam, v, [0.5, -0.5]);
    step(adam, v, [0.5, -0.5]);
    const weights = await adam.getWeights();
    expect(weights.map((w) => w.name)).toEqual([
      'iter',
      `${v.name}/momentum`,
      `${v.name}/velocity`,
    ]);
    expect(weights[0]?.tensor.dataSync()[0]).toBe(2);
    expect(adam.slotNames()).toEqual(['momentum', 'velocity']);
    tf.dispose(weights[0]?.tensor);
    v.dispose();
    adam.dispose();
  });

  it.each(MAKERS)('%s resumes exactly where it stopped', async (_name, make) => {
    const first = make();
    const v = variable([1, -2]);
    step(first, v, GRADS[0] ?? []);
    step(first, v, GRADS[1] ?? []);
    const saved = (await first.getWeights()).map(({ name, tensor }) => ({
      name,
      tensor: tensor.clone(),
    }));
    const before = tf.clone(v);
    step(first, v, GRADS[2] ?? []);
    const uninterrupted = Array.from(v.dataSync());

    v.assign(before);
    const second = make();
    await second.setWeights(saved);
    expect(second.iterations).toBe(2);
    step(second, v, GRADS[2] ?? []);
    expect(Array.from(v.dataSync())).toEqual(uninterrupted);

    tf.dispose([before, ...saved.map((w) => w.tensor)]);
    v.dispose();
    first.dispose();
    second.dispose();
  });

  it.each<[string, (v: tf.Variable) => { name: string; tensor: tf.Tensor }[], RegExp]>([
    [
      'nothing',
      () => [],
      /^Adam\.setWeights: expected the iteration count \(a scalar\) first, then the slots, received nothing\.$/,
    ],
    [
      'a slot of an unknown variable',
      () => [
        { name: 'iter', tensor: tf.scalar(1, 'int32') },
        { name: 'no_such_variable/momentum', tensor: tf.zeros([2]) },
      ],
      /'no_such_variable\/momentum' is not '<variable>\/<slot>' for a variable that exists and a slot of this optimizer \('momentum', 'velocity'\)/,
    ],
    [
      'a slot this optimizer does not have',
      (v) => [
        { name: 'iter', tensor: tf.scalar(1, 'int32') },
        { name: `${v.name}/accumulator`, tensor: tf.zeros([2]) },
      ],
      /\/accumulator' is not '<variable>\/<slot>'/,
    ],
    [
      'a slot of the wrong shape',
      (v) => [
        { name: 'iter', tensor: tf.scalar(1, 'int32') },
        { name: `${v.name}/momentum`, tensor: tf.zeros([3]) },
      ],
      /\/momentum' has shape \[3\], the variable has shape \[2\]\.$/,
    ],
  ])('rejects %s, writing nothing', async (_what, make, message) => {
    const adam = new Adam();
    const v = variable([1, 2]);
    const values = make(v);
    await expect(adam.setWeights(values)).rejects.toThrow(message);
    expect(adam.iterations).toBe(0);
    expect(await adam.getWeights()).toHaveLength(1);
    tf.dispose(values.map((w) => w.tensor));
    v.dispose();
    adam.dispose();
  });
});

describe('tensors', () => {
  it.each(MAKERS)('%s: flat across steps, and dispose frees every slot', (_name, make) => {
    const v = variable([1, -2]);
    const start = tf.memory().numTensors;
    const optimizer = make();
    step(optimizer, v, GRADS[0] ?? []);
    const afterFirst = tf.memory().numTensors;
    expect(afterFirst - start).toBe(optimizer.slotNames().length);
    step(optimizer, v, GRADS[1] ?? []);
    step(optimizer, v, GRADS[2] ?? []);
    expect(tf.memory().numTensors).toBe(afterFirst);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(start);
    v.dispose();
  });

  it('works with tfjs minimize(), leaving only its slots', () => {
    const v = variable([1, -2]);
    const adam = new Adam({ learningRate: 0.1 });
    const start = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      adam.minimize(() => tf.sum(tf.square(v)), false, [v]);
    }
    expect(tf.memory().numTensors - start).toBe(2);
    expect(adam.iterations).toBe(3);
    // Adam's steps are ~lr each while the sign of the gradient holds.
    expect(v).toBeAllClose([0.7, -1.7], 5e-3);
    adam.dispose();
    v.dispose();
  });
});

describe('applyGradients', () => {
  it('takes a list of named tensors, and leaves a variable without a gradient alone', () => {
    const sgd = new SGD({ learningRate: 1 });
    const a = variable([1]);
    const b = variable([1]);
    tf.tidy(() => {
      sgd.applyGradients([
        { name: a.name, tensor: tf.tensor1d([0.5]) },
        { name: b.name, tensor: undefined as unknown as tf.Tensor },
      ]);
    });
    expect(Array.from(a.dataSync())).toEqual([0.5]);
    expect(Array.from(b.dataSync())).toEqual([1]);
    tf.dispose([a, b]);
    sgd.dispose();
  });

  it.each<[string, (v: tf.Variable) => tf.NamedTensorMap, RegExp]>([
    [
      'an unknown variable',
      () => ({ not_a_variable: tf.zeros([2]) }),
      /^SGD\.applyGradients: no variable named 'not_a_variable' exists \(was it disposed\?\); gradients are given by variable name\.$/,
    ],
    [
      'a gradient of the wrong shape',
      (v) => ({ [v.name]: tf.zeros([3]) }),
      /the gradient of '.*' has shape \[3\], the variable has shape \[2\]\.$/,
    ],
    [
      'no gradient at all',
      () => ({}),
      /^SGD\.applyGradients: no gradients provided for any variable\.$/,
    ],
  ])('rejects %s, changing nothing', (_what, make, message) => {
    const sgd = new SGD();
    const v = variable([1, 2]);
    const grads = make(v);
    expect(() => {
      sgd.applyGradients(grads);
    }).toThrow(message);
    expect(sgd.iterations).toBe(0);
    expect(Array.from(v.dataSync())).toEqual([1, 2]);
    tf.dispose(Object.values(grads));
    v.dispose();
    sgd.dispose();
  });
});
