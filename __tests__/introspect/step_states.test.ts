/**
 * stepStates against the layers' own outputs: h_t is the sequence a layer returns with
 * returnSequences (in input order, goBackwards too), c_T the state an LSTM returns, a masked
 * step carries the states; every entry of a stacked or Bidirectional model; nothing leaks,
 * nothing changes; bad inputs refused.
 */
import * as tf from '@tensorflow/tfjs';
import {
  Bidirectional,
  Dense,
  Embedding,
  GRU,
  LSTM,
  Sequential,
  SimpleRNN,
  stepStates,
} from '../../src';
import { useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

const x = () => tf.randomNormal<tf.Rank.R3>([3, 6, 2], 0, 1, 'float32', 21);

describe('stepStates', () => {
  it("gives each layer's h_t: the sequences the layers return, in input order", () => {
    const xs = x();
    const model = new Sequential([
      new SimpleRNN({ units: 4, returnSequences: true, inputShape: [6, 2] }),
      new GRU({ units: 3, returnSequences: true, goBackwards: true }),
    ]);
    const first = new Sequential([model.layers[0]]);
    const firstOut = first.predict(xs, { verbose: 0 });
    const out = model.predict(xs, { verbose: 0 });
    // goBackwards returns its sequence in processing order; stepStates in input order.
    const reversed = tf.reverse(out, 1);
    const before = tf.memory().numTensors;
    const states = stepStates(model, xs);
    expect(states.layers.map((l) => [l.layer, l.h.shape, l.c])).toEqual([
      ['simple_rnn', [3, 6, 4], undefined],
      ['gru', [3, 6, 3], undefined],
    ]);
    expect(states.layers[0]?.h).toBeAllClose(firstOut, 1e-6);
    expect(states.layers[1]?.h).toBeAllClose(reversed, 1e-6);
    states.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The model did not change.
    const after = model.predict(xs, { verbose: 0 });
    expect(after).toBeAllClose(out, 0);
    tf.dispose([xs, firstOut, out, reversed, after]);
    model.dispose();
  });

  it("gives an LSTM's c_t: its last is the c the layer returns", () => {
    const xs = x();
    const lstm = new LSTM({ units: 4, returnSequences: true, inputShape: [6, 2] });
    const model = new Sequential([lstm, new Dense({ units: 1 })]);
    const states = stepStates(model, xs);
    const probe = new LSTM({ units: 4, returnSequences: true, returnState: true });
    const [seq, h, c] = probe.apply(xs) as tf.Tensor[];
    probe.setWeights(lstm.getWeights());
    const [seq2, h2, c2] = probe.apply(xs) as tf.Tensor[];
    const entry = states.layers[0];
    expect(entry.c?.shape).toEqual([3, 6, 4]);
    expect(entry.h).toBeAllClose(seq2, 1e-6);
    const lastC = tf.slice(entry.c ?? tf.zeros([3, 6, 4]), [0, 5, 0], [3, 1, 4]).reshape([3, 4]);
    expect(lastC).toBeAllClose(c2, 1e-6);
    tf.dispose([xs, seq, h, c, seq2, h2, c2, lastC] as tf.Tensor[]);
    states.dispose();
    model.dispose();
    probe.dispose();
  });

  it('carries the states over masked steps (zeros before the first data step)', () => {
    const ids = tf.tensor2d(
      [
        [3, 4, 0, 0],
        [0, 0, 5, 6],
      ],
      undefined,
      'int32',
    );
    const model = new Sequential([
      new Embedding({ inputDim: 8, outputDim: 3, maskZero: true, inputShape: [4] }),
      new GRU({ units: 2, returnSequences: true }),
    ]);
    const states = stepStates(model, ids);
    const h = states.layers[0]?.h.arraySync() ?? [];
    expect(h[0]?.[2]).toEqual(h[0]?.[1]);
    expect(h[0]?.[3]).toEqual(h[0]?.[1]);
    expect(h[1]?.[0]).toEqual([0, 0]);
    expect(h[1]?.[1]).toEqual([0, 0]);
    expect(h[1]?.[2]).not.toEqual([0, 0]);
    const out = model.predict(ids, { verbose: 0 });
    expect(states.layers[0]?.h).toBeAllClose(out, 1e-6);
    tf.dispose([ids, out]);
    states.dispose();
    model.dispose();
  });

  it("gives a Bidirectional layer's two directions, each in input order", () => {
    const xs = x();
    const model = new Sequential([
      new Bidirectional({
        layer: new SimpleRNN({ units: 2, returnSequences: true }),
        inputShape: [6, 2],
      }),
    ]);
    const states = stepStates(model, xs);
    const [forward, backward] = states.layers;
    expect(forward.layer).toMatch(/^bidirectional[_\d]*\/forward_simple_rnn/);
    expect(backward.layer).toMatch(/^bidirectional[_\d]*\/backward_simple_rnn/);
    // Keras's concat: the forward sequence, then the backward one flipped back to input order.
    const out = model.predict(xs, { verbose: 0 });
    const [f, b] = tf.split(out, 2, 2);
    expect(forward.h).toBeAllClose(f, 1e-6);
    expect(backward.h).toBeAllClose(b, 1e-6);
    tf.dispose([xs, out, f, b] as tf.Tensor[]);
    states.dispose();
    model.dispose();
  });

  it('refuses a model without recurrent layers and x that does not fit', () => {
    const xs = x();
    const dense = new Sequential([new Dense({ units: 1, inputShape: [6, 2] })]);
    expect(() => stepStates(dense, xs)).toThrow(/stepStates: the model has no recurrent layer/);
    const rnn = new Sequential([new SimpleRNN({ units: 2, inputShape: [6, 5] })]);
    expect(() => stepStates(rnn, xs)).toThrow(/stepStates: .*5/);
    expect(() => stepStates(rnn, 'abc' as unknown as number[])).toThrow(/stepStates: /);
    xs.dispose();
    dense.dispose();
    rnn.dispose();
  });
});
