import * as tf from '@tensorflow/tfjs';
import { Embedding } from '../../src/layers/embedding';
import { Masking } from '../../src/layers/masking';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

describe('Masking', () => {
  it('zeroes the steps whose features all equal maskValue and masks them', async () => {
    await expectNoLeak(() => {
      const layer = new Masking({ maskValue: -1 });
      const x = tf.tensor3d([
        [
          [1, 2],
          [-1, -1],
          [-1, 3],
        ],
        [
          [-1, -1],
          [0, 0],
          [-1, -1],
        ],
      ]);
      const y = layer.apply(x) as tf.Tensor;
      expect(y).toBeAllClose(
        [
          [
            [1, 2],
            [0, 0],
            [-1, 3],
          ],
          [
            [0, 0],
            [0, 0],
            [0, 0],
          ],
        ],
        0,
      );
      const mask = layer.computeMask(x) as tf.Tensor;
      expect(mask.dtype).toBe('bool');
      // tfjs reads a bool tensor as 0 and 1.
      expect(mask.arraySync()).toEqual([
        [1, 0, 1],
        [0, 1, 0],
      ]);
      tf.dispose([x, y, mask]);
    });
  });

  it('zeroes a padding step holding NaN or Infinity elsewhere, as Keras (a where, not a product)', () => {
    const layer = new Masking();
    const x = tf.tensor3d([
      [
        [0, 0],
        [Number.NaN, 1],
      ],
    ]);
    // A step with NaN is data (NaN differs from 0); only all-zero steps are padding.
    const y = layer.apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([0, 0, Number.NaN, 1]);
    tf.dispose([x, y]);
  });

  it('attaches no mask tensor to its output when applied eagerly (nothing would free it)', async () => {
    await expectNoLeak(() => {
      const layer = new Masking();
      const x = tf.zeros([1, 2, 2]);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.kerasMask).toBeFalsy();
      tf.dispose([x, y]);
    });
  });

  it('round-trips its config', () => {
    const layer = new Masking({ maskValue: 2.5, name: 'pad' });
    const copy = new Masking(layer.getConfig());
    expect(copy.maskValue).toBe(2.5);
    expect(copy.getConfig()).toEqual(layer.getConfig());
  });

  it.each([
    [{ maskValue: Number.NaN }, /Masking: expected `maskValue` to be a number/],
    [{ maskValue: '0' }, /Masking: expected `maskValue` to be a number .* received 0/],
    [{ mask_value: 0 }, /mask_value/],
    [{ maskvalue: 0 }, /maskvalue/],
  ])('refuses %j', (args, message) => {
    expect(() => new Masking(args as never)).toThrow(message);
  });

  it('refuses integer input, pointing to Embedding maskZero', async () => {
    await expectNoLeak(() => {
      const layer = new Masking();
      const x = tf.tensor3d([[[0], [1]]], [1, 2, 1], 'int32');
      expect(() => layer.apply(x)).toThrow(
        /Masking 'masking(_\d+)?': expected float32 input .* received int32\. Integer ids are masked by Embedding\(\{ inputDim, outputDim, maskZero: true \}\)/,
      );
      expect(() => layer.computeMask(x)).toThrow(/expected float32 input/);
      x.dispose();
    });
  });
});

describe('Embedding maskZero', () => {
  it('masks index 0 and still looks it up', async () => {
    await expectNoLeak(() => {
      const layer = new Embedding({ inputDim: 3, outputDim: 2, maskZero: true });
      const x = tf.tensor2d(
        [
          [1, 0, 2],
          [0, 0, 1],
        ],
        [2, 3],
        'int32',
      );
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 3, 2]);
      expect(y.kerasMask).toBeFalsy();
      const mask = layer.computeMask(x) as tf.Tensor;
      expect(mask.dtype).toBe('bool');
      expect(mask.arraySync()).toEqual([
        [1, 0, 1],
        [0, 0, 1],
      ]);
      expect(layer.getConfig().maskZero).toBe(true);
      tf.dispose([x, y, mask]);
      layer.dispose();
    });
  });

  it('makes no mask without maskZero', () => {
    const layer = new Embedding({ inputDim: 3, outputDim: 2 });
    const x = tf.tensor2d([[1, 0]], [1, 2], 'int32');
    expect(layer.computeMask(x)).toBeNull();
    x.dispose();
  });
});
