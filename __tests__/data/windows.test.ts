import * as tf from '@tensorflow/tfjs';
import { slidingWindows } from '../../src/data/windows';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

describe('slidingWindows', () => {
  it('cuts every window with the value after it', () => {
    const { x, y } = slidingWindows([10, 11, 12, 13, 14, 15], 3);
    expect(x.shape).toEqual([3, 3, 1]);
    expect(y.shape).toEqual([3, 1]);
    expect(x.arraySync()).toEqual([
      [[10], [11], [12]],
      [[11], [12], [13]],
      [[12], [13], [14]],
    ]);
    expect(y.arraySync()).toEqual([[13], [14], [15]]);
    tf.dispose([x, y]);
  });

  it('matches the course loop for 60-day windows', () => {
    const series = Array.from({ length: 100 }, (_, i) => i * 0.5);
    const { x, y } = slidingWindows(Float64Array.from(series), 60);
    expect(x.shape).toEqual([40, 60, 1]);
    const xs = x.arraySync();
    const ys = y.arraySync();
    // The course: for i in range(60, len): x = series[i-60:i], y = series[i].
    for (const i of [60, 75, 99]) {
      expect(xs[i - 60]?.map((step) => step[0])).toEqual(series.slice(i - 60, i));
      expect(ys[i - 60]).toEqual([series[i]]);
    }
    tf.dispose([x, y]);
  });

  it('gives one sample when the series is one longer than the window', () => {
    const { x, y } = slidingWindows(new Float32Array([1, 2]), 1);
    expect(x.arraySync()).toEqual([[[1]]]);
    expect(y.arraySync()).toEqual([[2]]);
    tf.dispose([x, y]);
  });

  it.each([
    ['a zero window', [1, 2, 3], 0, /`windowLength` to be a positive integer, received 0/],
    [
      'a fractional window',
      [1, 2, 3],
      1.5,
      /`windowLength` to be a positive integer, received 1.5/,
    ],
    [
      'a series as long as the window',
      [1, 2, 3],
      3,
      /longer than windowLength 3 .* received 3 values/,
    ],
    ['an empty series', [], 1, /longer than windowLength 1 .* received 0 values/],
    ['a NaN', [1, Number.NaN, 3], 1, /expected finite numbers, received NaN at index 1/],
    ['an infinity', [1, 2, Infinity], 1, /received Infinity at index 2/],
    ['a string', [1, '2', 3], 1, /received "2" at index 1/],
    [
      'a tensor',
      () => tf.tensor1d([1, 2, 3]),
      1,
      /expected a series of numbers .* received a tensor of shape \[3\]/,
    ],
    [
      'an object',
      { length: 3 },
      1,
      /expected a series of numbers .* received an object \(Object\)/,
    ],
  ])('rejects %s before allocating', async (_what, seriesOrMake, windowLength, message) => {
    const series: unknown = typeof seriesOrMake === 'function' ? seriesOrMake() : seriesOrMake;
    await expectNoLeak(() => {
      expect(() => slidingWindows(series as number[], windowLength)).toThrow(message);
    });
    if (series instanceof tf.Tensor) series.dispose();
  });
});
