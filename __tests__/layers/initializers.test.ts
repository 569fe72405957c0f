import { expect } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import {
  INITIALIZER_NAMES,
  canonicalInitializer,
  makeInitializer,
} from '../../src/layers/initializers';
import { orthogonalInitializer } from '../../src/layers/orthogonal';
import { useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

describe('initializers', () => {
  it('glorot_uniform draws within sqrt(6 / (fan_in + fan_out))', () => {
    const w = makeInitializer('glorot_uniform').apply([40, 60]);
    const limit = Math.sqrt(6 / 100);
    expect(tf.max(tf.abs(w)).dataSync()[0]).toBeLessThanOrEqual(limit);
    expect(tf.max(tf.abs(w)).dataSync()[0]).toBeGreaterThan(limit * 0.9);
    w.dispose();
  });

  it.each([
    [[6, 6], true],
    [[7, 3], true],
    [[3, 7], false],
  ])('orthogonal of shape %j has orthonormal %s columns (else rows)', (shape, columns) => {
    const w = makeInitializer('orthogonal').apply(shape) as tf.Tensor2D;
    const product = columns ? tf.matMul(w, w, true, false) : tf.matMul(w, w, false, true);
    const size = Math.min(shape[0] ?? 0, shape[1] ?? 0);
    expect(product).toBeAllClose(tf.eye(size), 1e-5);
    tf.dispose([w, product]);
  });

  it('a seeded orthogonal initializer draws the same matrix twice', () => {
    const a = orthogonalInitializer({ seed: 7 }).apply([5, 5]);
    const b = orthogonalInitializer({ seed: 7 }).apply([5, 5]);
    const c = orthogonalInitializer({ seed: 8, gain: 2 }).apply([5, 5]);
    expect(a).toBeAllClose(b, 0);
    expect(a).not.toBeAllClose(c, 1e-3);
    tf.dispose([a, b, c]);
  });

  it('orthogonal prints no warning for the 100-unit recurrent kernel', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const w = makeInitializer('orthogonal').apply([100, 100]);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    w.dispose();
  });

  it.each([
    ['glorot_normal', Math.sqrt(2 / (200 + 300))],
    ['he_normal', Math.sqrt(2 / 200)],
    ['lecun_normal', Math.sqrt(1 / 200)],
  ])('%s draws with standard deviation %f, as Keras does', (name, stddev) => {
    const w = makeInitializer(name).apply([200, 300], 'float32');
    const std = tf.tidy(() => Math.sqrt(tf.moments(w).variance.arraySync() as number));
    expect(Math.abs(std / stddev - 1)).toBeLessThan(0.03);
    w.dispose();
  });

  it.each([
    ['random_uniform', 0.05],
    ['uniform', 0.05],
  ])("%s uses Keras's ±%s range", (name, limit) => {
    const w = makeInitializer(canonicalInitializer('t', name)).apply([100, 10]);
    expect(tf.max(tf.abs(w)).dataSync()[0]).toBeLessThanOrEqual(limit);
    w.dispose();
  });

  it('accepts tfjs camelCase names', () => {
    expect(canonicalInitializer('t', 'glorotUniform')).toBe('glorot_uniform');
    expect(canonicalInitializer('t', 'leCunNormal')).toBe('lecun_normal');
    expect(INITIALIZER_NAMES).toEqual(
      expect.arrayContaining(['glorot_uniform', 'orthogonal', 'zeros']),
    );
  });

  it.each([
    [
      'glorot',
      /SimpleRNN: unknown initializer "glorot"\. Known initializers: 'zeros', 'ones', 'glorot_uniform'/,
    ],
    [{ className: 'NoSuchInit', config: {} }, /unknown initializer "NoSuchInit"/],
  ])('refuses %j', (spec, message) => {
    expect(() => canonicalInitializer('SimpleRNN', spec)).toThrow(message);
  });
});
