import * as tf from '@tensorflow/tfjs';
import { Dropout } from '../../src/layers/dropout';
import { MaskRandom } from '../../src/layers/dropout_mask';
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

  it('drops the fraction `rate` of a large input, keeping the rest times float32(1 / (1 - rate))', () => {
    const mask = new MaskRandom(11).fillMask(new Float32Array(200_000), 0.3);
    const kept = Math.fround(1 / 0.7);
    expect(mask.every((v) => v === 0 || v === kept)).toBe(true);
    const dropped = mask.filter((v) => v === 0).length / mask.length;
    // 200,000 draws: the standard deviation of the fraction is 0.001.
    expect(Math.abs(dropped - 0.3)).toBeLessThan(0.005);
  });

  it('draws a new mask at every call; with a seed, the same sequence of masks every run', () => {
    const x = tf.ones([50, 8]);
    const masks = (layer: Dropout) =>
      [0, 1].map(() => {
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        const values = Array.from(y.dataSync());
        y.dispose();
        return values;
      });
    const [first, second] = masks(new Dropout({ rate: 0.5, seed: 7 }));
    const again = masks(new Dropout({ rate: 0.5, seed: 7 }));
    const [other] = masks(new Dropout({ rate: 0.5, seed: 8 }));
    expect(second).not.toEqual(first);
    expect(again).toEqual([first, second]);
    expect(other).not.toEqual(first);
    x.dispose();
  });

  it("broadcasts a noise shape over the other axes (null: the input's size), leaking nothing", () => {
    const layer = new Dropout({ rate: 0.5, noiseShape: [null, 1, 6], seed: 2 });
    const x = tf.ones([4, 5, 6]);
    const before = tf.memory().numTensors;
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    const values = y.arraySync() as number[][][];
    for (const sample of values) {
      for (const step of sample) expect(step).toEqual(sample[0]);
    }
    expect(values.flat(2).some((v) => v === 0)).toBe(true);
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
