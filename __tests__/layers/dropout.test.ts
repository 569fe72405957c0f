import * as tf from '@tensorflow/tfjs';
import { Dropout } from '../../src/layers/dropout';
import { useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

describe('Dropout', () => {
  it('passes its input through at inference', () => {
    const layer = new Dropout({ rate: 0.5 });
    const x = tf.randomNormal([4, 3, 2]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y).toBeAllClose(x, 0);
    tf.dispose([x, y]);
  });

  it('zeroes inputs and scales the rest by 1 / (1 - rate) while training', () => {
    const layer = new Dropout({ rate: 0.25 });
    const x = tf.ones([200, 10]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const values = Array.from(y.dataSync());
    expect(new Set(values.map((v) => v.toFixed(5)))).toEqual(
      new Set(['0.00000', (1 / 0.75).toFixed(5)]),
    );
    const dropped = values.filter((v) => v === 0).length / values.length;
    expect(dropped).toBeGreaterThan(0.15);
    expect(dropped).toBeLessThan(0.35);
    tf.dispose([x, y]);
  });

  it('round-trips its config', () => {
    const layer = new Dropout({ rate: 0.2, seed: 3 });
    expect(layer.getConfig()).toMatchObject({ rate: 0.2, seed: 3 });
  });

  it.each([
    [{ rate: 1 }, /Dropout: expected `rate` to be a number in \[0, 1\), received 1/],
    [{ rate: -0.5 }, /received -0\.5/],
  ])('refuses %j', (args, message) => {
    expect(() => new Dropout(args)).toThrow(message);
  });
});
