import * as tf from '@tensorflow/tfjs';
import { Embedding } from '../../src/layers/embedding';
import { useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

describe('Embedding', () => {
  it('maps [samples, timesteps] indices to [samples, timesteps, outputDim] rows', () => {
    const layer = new Embedding({ inputDim: 5, outputDim: 2 });
    const x = tf.tensor2d(
      [
        [0, 1, 2, 3],
        [4, 3, 2, 1],
      ],
      [2, 4],
      'int32',
    );
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 4, 2]);
    const table = layer.getWeights()[0];
    const rows = tf.gather(table, [4, 3, 2, 1]);
    expect(tf.squeeze(tf.slice(y, [1, 0, 0], [1, 4, 2]), [0])).toBeAllClose(rows, 0);
    tf.dispose([x, y, table, rows]);
  });

  it("initializes like Keras's 'uniform': within ±0.05", () => {
    const layer = new Embedding({ inputDim: 50, outputDim: 8 });
    const x = tf.tensor2d([[1]], [1, 1], 'int32');
    tf.dispose(layer.apply(x) as tf.Tensor);
    const table = layer.getWeights()[0];
    expect(tf.max(tf.abs(table)).dataSync()[0]).toBeLessThanOrEqual(0.05);
    expect(layer.getConfig()).toMatchObject({
      inputDim: 50,
      outputDim: 8,
      embeddingsInitializer: 'random_uniform',
    });
    tf.dispose([x, table]);
  });

  it('takes float indices as Keras does, and inputLength as an input shape', () => {
    const layer = new Embedding({ inputDim: 5, outputDim: 3, inputLength: 4 });
    expect(layer.batchInputShape).toEqual([null, 4]);
    const x = tf.tensor2d([[0, 1, 2, 4]]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 4, 3]);
    tf.dispose([x, y]);
  });

  it.each([
    [
      { inputDim: 0, outputDim: 2 },
      /Embedding: expected `inputDim` to be a positive integer, received 0/,
    ],
    [
      { inputDim: 5, outputDim: 1.5 },
      /Embedding: expected `outputDim` to be a positive integer, received 1\.5/,
    ],
    [{ inputDim: 5, outputDim: 2, embeddingsInitializer: 'nope' }, /unknown initializer "nope"/],
  ])('refuses %j', (args, message) => {
    expect(() => new Embedding(args)).toThrow(message);
  });
});

describe('Embedding gradient', () => {
  it('sums the output gradient rows of repeated indices into the table (and trains on wasm)', () => {
    const layer = new Embedding({ inputDim: 4, outputDim: 2 });
    const x = tf.tensor2d([[1, 3, 1]], [1, 3], 'int32');
    tf.dispose(layer.apply(x) as tf.Tensor);
    const upstream = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, upstream)));
    const tableGrad = Object.values(grads)[0];
    expect(tableGrad).toBeAllClose(
      [
        [0, 0],
        [6, 8],
        [0, 0],
        [3, 4],
      ],
      0,
    );
    tf.dispose([x, upstream, tableGrad]);
  });
});
