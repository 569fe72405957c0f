import * as tf from '@tensorflow/tfjs';
import {
  INITIALIZER_NAMES,
  canonicalInitializer,
  makeInitializer,
} from '../../src/layers/initializers';
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

  it('orthogonal gives an orthogonal matrix', () => {
    const w = makeInitializer('orthogonal').apply([6, 6]) as tf.Tensor2D;
    const product = tf.matMul(w, w, true, false);
    expect(product).toBeAllClose(tf.eye(6), 1e-5);
    tf.dispose([w, product]);
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
