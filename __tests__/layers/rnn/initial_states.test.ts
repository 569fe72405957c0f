/**
 * Initial states: `layer.apply(x, { initialState })` in Keras's order, checked before any work,
 * also inside a tf.model graph (the encoder-decoder pattern), with masks as Keras treats them.
 */
import * as tf from '@tensorflow/tfjs';
import { Bidirectional } from '../../../src/layers/rnn/bidirectional';
import { GRU, GRUCell } from '../../../src/layers/rnn/gru';
import { LSTM, LSTMCell } from '../../../src/layers/rnn/lstm';
import type { RNN } from '../../../src/layers/rnn/rnn';
import { SimpleRNN } from '../../../src/layers/rnn/simple_rnn';
import { StackedRNN } from '../../../src/layers/rnn/stacked_rnn';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

const sequence = (): tf.Tensor3D => tf.tidy(() => tf.sin(tf.reshape(tf.range(0, 30), [2, 5, 3])));

describe('initialState', () => {
  it.each<[string, () => RNN]>([
    ['SimpleRNN', () => new SimpleRNN({ units: 4, returnState: true })],
    ['LSTM', () => new LSTM({ units: 4, returnState: true })],
    ['GRU', () => new GRU({ units: 4, returnState: true })],
    ['GRU (resetAfter: false)', () => new GRU({ units: 4, returnState: true, resetAfter: false })],
    [
      'StackedRNN',
      () =>
        new StackedRNN({
          cells: [new GRUCell({ units: 3 }), new LSTMCell({ units: 4 })],
          returnState: true,
        }),
    ],
  ])('%s: two halves, the second from the first’s states, equal the whole', async (_kind, make) => {
    const layer = make();
    const x = sequence();
    const head = tf.slice(x, [0, 0, 0], [2, 2, 3]);
    const tail = tf.slice(x, [0, 2, 0], [2, 3, 3]);
    tf.dispose(layer.apply(x) as tf.Tensor[]); // builds the weights
    await expectNoLeak(() => {
      const [whole, ...wholeStates] = layer.apply(x) as tf.Tensor[];
      const [headOutput, ...states] = layer.apply(head) as tf.Tensor[];
      const [continued, ...continuedStates] = layer.apply(tail, {
        initialState: states,
      }) as tf.Tensor[];
      expect(continued).toBeAllClose(whole, 1e-5);
      continuedStates.forEach((s, i) => {
        expect(s).toBeAllClose(wholeStates[i], 1e-5);
      });
      tf.dispose([whole, headOutput, continued, ...wholeStates, ...states, ...continuedStates]);
    });
    tf.dispose([x, head, tail]);
    layer.dispose();
  });

  it('passes the gradient back to the initial states', () => {
    const layer = new LSTM({ units: 3 });
    const x = sequence();
    const h0 = tf.fill([2, 3], 0.3);
    const c0 = tf.fill([2, 3], -0.2);
    const [dh, dc] = tf.grads((h: tf.Tensor, c: tf.Tensor) =>
      tf.sum(layer.apply(x, { initialState: [h, c] }) as tf.Tensor),
    )([h0, c0]);
    // Central differences of the same sum for one element of each state.
    const loss = (h: tf.Tensor, c: tf.Tensor): number =>
      tf.tidy(() => tf.sum(layer.apply(x, { initialState: [h, c] }) as tf.Tensor).dataSync()[0]);
    const eps = 1e-2;
    const bump = (t: tf.Tensor, d: number): tf.Tensor =>
      tf.add(t, tf.mul(tf.oneHot(tf.tensor1d([0], 'int32'), 6).reshape([2, 3]), d));
    const numeric = (which: 0 | 1): number => {
      const [plusH, minusH] = [bump(h0, which === 0 ? eps : 0), bump(h0, which === 0 ? -eps : 0)];
      const [plusC, minusC] = [bump(c0, which === 1 ? eps : 0), bump(c0, which === 1 ? -eps : 0)];
      const value = (loss(plusH, plusC) - loss(minusH, minusC)) / (2 * eps);
      tf.dispose([plusH, minusH, plusC, minusC]);
      return value;
    };
    expect(dh.dataSync()[0]).toBeCloseTo(numeric(0), 2);
    expect(dc.dataSync()[0]).toBeCloseTo(numeric(1), 2);
    tf.dispose([x, h0, c0, dh, dc]);
    layer.dispose();
  });

  it('with a mask: the state starts from the given one, the output from zeros (as Keras)', () => {
    const layer = new SimpleRNN({ units: 2, returnSequences: true, returnState: true });
    const x = sequence();
    const h0 = tf.fill([2, 2], 0.5);
    const mask = tf.tensor2d(
      [
        [0, 0, 1, 1, 1],
        [0, 0, 0, 0, 0],
      ],
      [2, 5],
      'bool',
    );
    const [out, state] = layer.apply(x, { initialState: h0, mask }) as tf.Tensor[];
    const rows = out.arraySync() as number[][][];
    expect(rows[0]?.[0]).toBeAllClose([0, 0], 0);
    expect(rows[0]?.[1]).toBeAllClose([0, 0], 0);
    expect(rows[0]?.[2]?.every((v) => v !== 0)).toBe(true);
    expect(rows[1]?.flat()).toBeAllClose(Array<number>(10).fill(0), 0);
    // A fully masked sample keeps its initial state.
    expect(tf.slice(state, [1, 0], [1, 2])).toBeAllClose([[0.5, 0.5]], 0);
    tf.dispose([x, h0, mask, out, state]);
    layer.dispose();
  });

  it('runs an encoder-decoder tf.model graph: the decoder starts from the encoder’s states', () => {
    const encoderInput = tf.input({ shape: [5, 3] });
    const encoder = new LSTM({ units: 4, returnState: true });
    const [, h, c] = encoder.apply(encoderInput) as tf.SymbolicTensor[];
    const decoderInput = tf.input({ shape: [2, 3] });
    const decoder = new LSTM({ units: 4, returnSequences: true });
    const decoded = decoder.apply(decoderInput, {
      initialState: [h, c],
    }) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [encoderInput, decoderInput], outputs: decoded });
    const x = sequence();
    const y = tf.ones([2, 2, 3]);
    const out = model.predict([x, y]) as tf.Tensor;
    const [, eh, ec] = encoder.apply(x) as tf.Tensor[];
    const direct = decoder.apply(y, {
      initialState: [eh, ec],
    }) as tf.Tensor;
    expect(out.shape).toEqual([2, 2, 4]);
    expect(out).toBeAllClose(direct, 1e-6);
    tf.dispose([x, y, out, eh, ec, direct]);
    model.dispose();
  });

  it('gives a Bidirectional the forward states, then the backward ones', () => {
    const layer = new Bidirectional({
      layer: new GRU({ units: 2, returnState: true }),
      mergeMode: null,
    });
    const x = sequence();
    const [hf, hb] = [tf.fill([2, 2], 0.4), tf.fill([2, 2], -0.4)];
    const [forward, backward, sf, sb] = layer.apply(x, { initialState: [hf, hb] }) as tf.Tensor[];
    const f = layer.forwardLayer.apply(x, { initialState: hf }) as tf.Tensor[];
    const b = layer.backwardLayer.apply(x, { initialState: hb }) as tf.Tensor[];
    expect(forward).toBeAllClose(f[0], 1e-6);
    expect(backward).toBeAllClose(b[0], 1e-6);
    expect(sf).toBeAllClose(f[1], 1e-6);
    expect(sb).toBeAllClose(b[1], 1e-6);
    tf.dispose([x, hf, hb, forward, backward, sf, sb, ...f, ...b]);
    layer.dispose();
  });

  it.each<[string, () => RNN | Bidirectional, () => tf.Tensor[], RegExp]>([
    [
      'too few for an LSTM',
      () => new LSTM({ units: 4, name: 'enc' }),
      () => [tf.zeros([2, 4])],
      /^LSTM 'enc': expected 2 initial states \(h \[2, 4\], c \[2, 4\]\), received 1: \[2, 4\]\. Pass initialState: \[h, c\]/,
    ],
    [
      'the wrong size',
      () => new GRU({ units: 4, name: 'dec' }),
      () => [tf.zeros([2, 3])],
      /^GRU 'dec': expected 1 initial state \(h \[2, 4\]\), received 1: \[2, 3\]/,
    ],
    [
      'the wrong batch',
      () => new SimpleRNN({ units: 4, name: 'srnn' }),
      () => [tf.zeros([3, 4])],
      /^SimpleRNN 'srnn': expected 1 initial state \(h \[2, 4\]\), received 1: \[3, 4\]/,
    ],
    [
      'a StackedRNN’s, naming each cell',
      () =>
        new StackedRNN({
          cells: [new GRUCell({ units: 3, name: 'g' }), new LSTMCell({ units: 4, name: 'l' })],
          name: 'stack',
        }),
      () => [tf.zeros([2, 3]), tf.zeros([2, 4])],
      /^StackedRNN 'stack': expected 3 initial states \(h of 'g' \[2, 3\], h of 'l' \[2, 4\], c of 'l' \[2, 4\]\), received 2/,
    ],
    [
      'a Bidirectional’s wrong count',
      () => new Bidirectional({ layer: new LSTM({ units: 2 }), name: 'bi' }),
      () => [tf.zeros([2, 2]), tf.zeros([2, 2])],
      /^Bidirectional 'bi': expected 4 initial states \(the forward layer's 2, then the backward layer's 2\), received 2/,
    ],
  ])('refuses %s before building anything', async (_case, make, states, message) => {
    const layer = make();
    const x = sequence();
    const given = states();
    await expectNoLeak(() => {
      expect(() => layer.apply(x, { initialState: given })).toThrow(message);
    });
    expect(layer.built).toBe(false);
    tf.dispose([x, ...given]);
  });
});
