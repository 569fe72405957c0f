import * as tf from '@tensorflow/tfjs';
import { SimpleRNN, SimpleRNNCell } from '../../../src/layers/rnn/simple_rnn';
import { StackedRNN } from '../../../src/layers/rnn/stacked_rnn';
import { useTestBackend } from '../../helpers/tensors';
import { pseudoRandom } from '../../helpers/reference_rnn';

beforeAll(async () => {
  await useTestBackend();
});

function input(): tf.Tensor3D {
  return tf.tensor3d(pseudoRandom(2 * 5 * 3, 21), [2, 5, 3]);
}

describe('StackedRNN', () => {
  it('has every cell weight in Keras order and equals two stacked SimpleRNN layers', () => {
    const stacked = new StackedRNN({
      cells: [{ units: 4 }, new SimpleRNNCell({ units: 6, activation: 'relu' })],
    });
    const x = input();
    tf.dispose(stacked.apply(x) as tf.Tensor);
    expect(stacked.getWeights().map((w) => w.shape)).toEqual([
      [3, 4],
      [4, 4],
      [4],
      [4, 6],
      [6, 6],
      [6],
    ]);
    expect(stacked.countParams()).toBe(3 * 4 + 16 + 4 + 4 * 6 + 36 + 6);

    const first = new SimpleRNN({ units: 4, returnSequences: true });
    const second = new SimpleRNN({ units: 6, activation: 'relu' });
    const h = first.apply(x) as tf.Tensor;
    tf.dispose([h, second.apply(h) as tf.Tensor]);
    const weights = stacked.getWeights();
    first.setWeights(weights.slice(0, 3));
    second.setWeights(weights.slice(3));
    const expected = tf.tidy(() => second.apply(first.apply(x)) as tf.Tensor);
    const actual = stacked.apply(x) as tf.Tensor;
    expect(actual.shape).toEqual([2, 6]);
    expect(actual).toBeAllClose(expected, 1e-6);
    tf.dispose([x, h, expected, actual]);
  });

  it('goes backwards like Keras: the first cell reads reversed, the rest read its outputs', () => {
    const backwards = new StackedRNN({
      cells: [{ units: 3 }, { units: 2 }],
      goBackwards: true,
      returnSequences: true,
    });
    const forwards = new StackedRNN({ cells: [{ units: 3 }, { units: 2 }], returnSequences: true });
    const x = input();
    tf.dispose([backwards.apply(x) as tf.Tensor, forwards.apply(x) as tf.Tensor]);
    forwards.setWeights(backwards.getWeights());
    const reversed = tf.reverse(x, 1);
    const expected = forwards.apply(reversed) as tf.Tensor;
    const actual = backwards.apply(x) as tf.Tensor;
    expect(actual).toBeAllClose(expected, 1e-6);
    tf.dispose([x, reversed, expected, actual]);
  });

  it('returns every cell state with returnState', () => {
    const layer = new StackedRNN({ cells: [{ units: 3 }, { units: 2 }], returnState: true });
    const x = input();
    const outputs = layer.apply(x) as tf.Tensor[];
    expect(outputs.map((t) => t.shape)).toEqual([
      [2, 2],
      [2, 3],
      [2, 2],
    ]);
    expect(outputs[0]).toBeAllClose(outputs[2], 0);
    expect(layer.computeOutputShape([null, 5, 3])).toEqual([
      [null, 2],
      [null, 3],
      [null, 2],
    ]);
    tf.dispose([x, ...outputs]);
  });

  it('round-trips its config, cells included', () => {
    const layer = new StackedRNN({
      cells: [
        { units: 3, activation: 'sigmoid' },
        { units: 2, useBias: false },
      ],
      returnSequences: true,
    });
    const config = layer.getConfig();
    const copy = new StackedRNN(config as unknown as ConstructorParameters<typeof StackedRNN>[0]);
    expect(copy.getConfig()).toEqual({ ...config, name: copy.name });
  });

  it.each([
    [{ cells: [] }, /StackedRNN: expected `cells` to be a non-empty list of cells/],
    [
      { cells: [{ className: 'ConvLSTMCell', config: {} }] },
      /unknown cell class "ConvLSTMCell"\. Known cell classes: 'SimpleRNNCell', 'LSTMCell', 'GRUCell'/,
    ],
    [
      {
        cells: [
          { units: 2, name: 'a' },
          { units: 3, name: 'a' },
        ],
      },
      /two cells are named 'a'/,
    ],
    [{ cells: [{ units: 0 }] }, /expected `units` to be a positive integer, received 0/],
  ])('refuses %j', (args, message) => {
    expect(() => new StackedRNN(args as ConstructorParameters<typeof StackedRNN>[0])).toThrow(
      message,
    );
  });
});
