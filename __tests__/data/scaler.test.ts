import * as tf from '@tensorflow/tfjs';
import { MinMaxScaler } from '../../src/data/scaler';
import { expectNoLeak, useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

describe('MinMaxScaler', () => {
  it('maps the fitted range to [0, 1] as scikit-learn does', () => {
    const scaler = new MinMaxScaler();
    expect(scaler.fitTransform([2, 4, 6, 10])).toEqual([0, 0.25, 0.5, 1]);
    // sklearn: data_min_ 2, data_max_ 10, scale_ 0.125, min_ -0.25.
    expect(scaler.params).toEqual({ dataMin: 2, dataMax: 10, scale: 0.125, min: -0.25 });
  });

  it('uses the training numbers on test data, going outside [0, 1]', () => {
    const scaler = new MinMaxScaler().fit([100, 200]);
    expect(scaler.transform([50, 150, 300])).toEqual([-0.5, 0.5, 2]);
  });

  it('round-trips values through transform and inverseTransform', () => {
    const values = [1469.25, 1455.22, 1399.42, 1402.11, 1403.45, 1441.47];
    const scaler = new MinMaxScaler().fit(values);
    expect(scaler.inverseTransform(scaler.transform(values))).toBeAllClose(values, 1e-9);
  });

  it('maps to another feature range', () => {
    const scaler = new MinMaxScaler({ featureRange: [-1, 1] });
    expect(scaler.fitTransform(new Float64Array([0, 5, 10]))).toEqual([-1, 0, 1]);
    expect(scaler.inverseTransform([-1, 1])).toEqual([0, 10]);
  });

  it('maps a constant series to the range minimum without dividing by zero', () => {
    const scaler = new MinMaxScaler();
    expect(scaler.fitTransform([7, 7, 7])).toEqual([0, 0, 0]);
    expect(scaler.params.scale).toBe(1);
    expect(scaler.transform([8])).toEqual([1]);
    expect(scaler.inverseTransform([0, 1])).toEqual([7, 8]);
  });

  it('transforms tensors of any shape without leaking', async () => {
    const scaler = new MinMaxScaler().fit([0, 200]);
    await expectNoLeak(() => {
      const prices = tf.tensor2d([[50], [100]]);
      const scaled = scaler.transform(prices);
      expect(scaled.shape).toEqual([2, 1]);
      expect(scaled).toBeAllClose([[0.25], [0.5]]);
      const back = scaler.inverseTransform(scaled);
      expect(back).toBeAllClose([[50], [100]], 1e-4);
      tf.dispose([prices, scaled, back]);
    });
  });

  it('transforms an int32 tensor as float32', () => {
    const scaler = new MinMaxScaler().fit([0, 4]);
    const t = tf.tensor1d([1, 2], 'int32');
    const s = scaler.transform(t);
    expect(s.dtype).toBe('float32');
    expect(s).toBeAllClose([0.25, 0.5]);
    tf.dispose([t, s]);
  });

  it.each([
    ['transform', (s: MinMaxScaler) => s.transform([1])],
    ['inverseTransform', (s: MinMaxScaler) => s.inverseTransform([1])],
    ['params', (s: MinMaxScaler) => s.params],
  ])('rejects %s before fit', (method, call) => {
    const scaler = new MinMaxScaler();
    expect(scaler.fitted).toBe(false);
    expect(() => call(scaler)).toThrow(
      new RegExp(
        `MinMaxScaler\\.${method}: the scaler is not fitted yet; call fit\\(trainingValues\\)`,
      ),
    );
  });

  it.each([
    ['an empty series', [], /MinMaxScaler\.fit: expected at least one value/],
    [
      'a NaN',
      [1, Number.NaN],
      /MinMaxScaler\.fit: expected finite numbers, received NaN at index 1/,
    ],
    ['a string', ['1'], /MinMaxScaler\.fit: expected finite numbers, received "1" at index 0/],
    ['not an array', 5, /MinMaxScaler\.fit: expected a series of numbers/],
  ])('rejects fitting %s and stays as it was', (_what, values, message) => {
    const scaler = new MinMaxScaler().fit([0, 10]);
    expect(() => scaler.fit(values as number[])).toThrow(message);
    expect(scaler.params).toEqual({ dataMin: 0, dataMax: 10, scale: 0.1, min: 0 });
  });

  it('rejects a non-finite value to transform', () => {
    const scaler = new MinMaxScaler().fit([0, 10]);
    expect(() => scaler.transform([1, Infinity])).toThrow(
      /MinMaxScaler\.transform: expected finite numbers, received Infinity at index 1/,
    );
    expect(() => scaler.inverseTransform([Number.NaN])).toThrow(
      /MinMaxScaler\.inverseTransform: expected finite numbers, received NaN at index 0/,
    );
  });

  it.each([
    ['min equal to max', [1, 1]],
    ['min above max', [1, 0]],
    ['one number', [0]],
    ['a NaN', [0, Number.NaN]],
    ['strings', ['0', '1']],
  ])('rejects a feature range with %s', (_what, range) => {
    expect(() => new MinMaxScaler({ featureRange: range as unknown as [number, number] })).toThrow(
      /MinMaxScaler: expected `featureRange` to be \[min, max\] with finite min < max, received/,
    );
  });
});
