/**
 * Bidirectional: the two directions, the merge modes, states, weights in Keras's order and
 * names, masks, and the errors. The numbers against Keras are in the bidirectional_* fixtures.
 */
import * as tf from '@tensorflow/tfjs';
import { Dense } from '../../../src/layers/dense';
import { orthogonalInitializer } from '../../../src/layers/orthogonal';
import { Bidirectional, type MergeMode } from '../../../src/layers/rnn/bidirectional';
import { GRU } from '../../../src/layers/rnn/gru';
import { LSTM } from '../../../src/layers/rnn/lstm';
import { SimpleRNN } from '../../../src/layers/rnn/simple_rnn';
import { Sequential } from '../../../src/models/sequential';
import { expectNoLeak, useTestBackend } from '../../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

/** A [2, 4, 3] input with distinct values. */
const input = (): tf.Tensor3D => tf.tidy(() => tf.sin(tf.reshape(tf.range(0, 24), [2, 4, 3])));

describe('Bidirectional', () => {
  it.each<[MergeMode, number[]]>([
    ['concat', [2, 4, 10]],
    ['sum', [2, 4, 5]],
    ['mul', [2, 4, 5]],
    ['ave', [2, 4, 5]],
  ])('merges the directions with %s', async (mergeMode, shape) => {
    const layer = new Bidirectional({
      layer: new LSTM({ units: 5, returnSequences: true }),
      mergeMode,
    });
    const x = input();
    tf.dispose(layer.apply(x) as tf.Tensor);
    await expectNoLeak(() => {
      const y = layer.apply(x) as tf.Tensor;
      // The two directions computed on their own, the backward one flipped to input order.
      const expected = tf.tidy(() => {
        const forward = layer.forwardLayer.apply(x) as tf.Tensor;
        const backward = tf.reverse(layer.backwardLayer.apply(x) as tf.Tensor, 1);
        return {
          concat: () => tf.concat([forward, backward], -1),
          sum: () => tf.add(forward, backward),
          mul: () => tf.mul(forward, backward),
          ave: () => tf.div(tf.add(forward, backward), 2),
        }[mergeMode ?? 'concat']();
      });
      expect(y.shape).toEqual(shape);
      expect(y).toBeAllClose(expected, 1e-6);
      expect(layer.computeOutputShape([2, 4, 3])).toEqual(shape);
      tf.dispose([y, expected]);
    });
    x.dispose();
    layer.dispose();
  });

  it('gives both outputs with mergeMode null, the backward one from reading backwards', () => {
    const layer = new Bidirectional({ layer: new SimpleRNN({ units: 2 }), mergeMode: null });
    const x = input();
    const [forward, backward] = layer.apply(x) as tf.Tensor[];
    // Without returnSequences, the backward output is its state after the first step.
    const reversed = tf.reverse(x, 1);
    const readForwards = new SimpleRNN({ units: 2 });
    tf.dispose(readForwards.apply(reversed) as tf.Tensor);
    readForwards.setWeights(layer.backwardLayer.getWeights());
    const expected = readForwards.apply(reversed) as tf.Tensor;
    expect(layer.backwardLayer.goBackwards).toBe(true);
    expect(forward.shape).toEqual([2, 2]);
    expect(backward).toBeAllClose(expected, 1e-6);
    tf.dispose([forward, backward, reversed, expected, x]);
    layer.dispose();
    readForwards.dispose();
  });

  it('returns the merged output, then the forward states, then the backward ones', () => {
    const layer = new Bidirectional({
      layer: new LSTM({ units: 3, returnState: true }),
      mergeMode: 'sum',
    });
    const x = input();
    const out = layer.apply(x) as tf.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([
      [2, 3],
      [2, 3],
      [2, 3],
      [2, 3],
      [2, 3],
    ]);
    const [y, hf, , hb] = out;
    // Without returnSequences an LSTM's output is its last h.
    expect(y).toBeAllClose(tf.add(hf, hb), 1e-6);
    expect(layer.computeOutputShape([2, 4, 3])).toEqual([
      [2, 3],
      [2, 3],
      [2, 3],
      [2, 3],
      [2, 3],
    ]);
    tf.dispose([...out, x]);
    layer.dispose();
  });

  it('holds the forward weights, then the backward ones, under Keras’s paths', () => {
    const model = new Sequential([
      new Bidirectional({ layer: new GRU({ units: 2 }), inputShape: [4, 3], name: 'bidi' }),
    ]);
    expect(model.layers[0]?.weights.map((w) => w.name)).toEqual([
      'bidi/forward_gru/gru_cell/kernel',
      'bidi/forward_gru/gru_cell/recurrent_kernel',
      'bidi/forward_gru/gru_cell/bias',
      'bidi/backward_gru/gru_cell/kernel',
      'bidi/backward_gru/gru_cell/recurrent_kernel',
      'bidi/backward_gru/gru_cell/bias',
    ]);
    model.dispose();
  });

  it('takes a backward layer of its own', () => {
    const layer = new Bidirectional({
      layer: new SimpleRNN({ units: 2 }),
      backwardLayer: new GRU({ units: 3, goBackwards: true, name: 'back' }),
    });
    expect(layer.backwardLayer.name).toBe('back');
    expect(layer.computeOutputShape([2, 4, 3])).toEqual([2, 5]);
  });

  it('zeroes padding steps in both directions when returning sequences, as Keras forces', async () => {
    const layer = new Bidirectional({ layer: new SimpleRNN({ units: 2, returnSequences: true }) });
    expect(layer.forwardLayer.zeroOutputForMask).toBe(true);
    expect(layer.backwardLayer.zeroOutputForMask).toBe(true);
    const x = input();
    const mask = tf.tensor2d(
      [
        [1, 1, 0, 0],
        [0, 1, 1, 1],
      ],
      [2, 4],
      'bool',
    );
    tf.dispose(layer.apply(x) as tf.Tensor);
    await expectNoLeak(() => {
      const y = layer.apply(x, { mask }) as tf.Tensor;
      const rows = y.arraySync() as number[][][];
      expect(rows[0]?.[2]).toBeAllClose([0, 0, 0, 0], 0);
      expect(rows[0]?.[3]).toBeAllClose([0, 0, 0, 0], 0);
      expect(rows[1]?.[0]).toBeAllClose([0, 0, 0, 0], 0);
      expect(rows[1]?.[1]?.every((v) => v !== 0)).toBe(true);
      const out = layer.computeMask(x, mask) as tf.Tensor;
      expect(out).toBe(mask);
      y.dispose();
    });
    tf.dispose([x, mask]);
    layer.dispose();
  });

  it('copies a layer whose initializer is a seeded orthogonal one: both draw the same matrix', () => {
    const layer = new Bidirectional({
      layer: new LSTM({ units: 2, recurrentInitializer: orthogonalInitializer({ seed: 3 }) }),
    });
    const x = input();
    tf.dispose(layer.apply(x) as tf.Tensor);
    const forward = layer.forwardLayer.getWeights();
    const backward = layer.backwardLayer.getWeights();
    expect(forward[1]).toBeAllClose(backward[1], 0);
    // tfjs's getWeights gives the variables themselves: they are the layer's to free.
    x.dispose();
    layer.dispose();
  });

  it('round-trips its config through tfjs serialization', () => {
    const layer = new Bidirectional({
      layer: new LSTM({ units: 3, returnSequences: true }),
      mergeMode: 'ave',
    });
    const copy = Bidirectional.fromConfig(Bidirectional, layer.getConfig());
    if (!(copy instanceof Bidirectional)) throw new Error('not a Bidirectional');
    expect(copy.mergeMode).toBe('ave');
    expect(copy.forwardLayer.getClassName()).toBe('LSTM');
    expect(copy.backwardLayer.goBackwards).toBe(true);
    expect(copy.forwardLayer.returnSequences).toBe(true);
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'a Dense',
      () => new Bidirectional({ layer: new Dense({ units: 2 }) as never }),
      /^Bidirectional: expected `layer` to be a recurrent layer \(new LSTM\(\{\.\.\.\}\).*received Dense 'dense(_\d+)?'/,
    ],
    [
      'an unknown merge mode',
      () => new Bidirectional({ layer: new LSTM({ units: 2 }), mergeMode: 'max' as never }),
      /expected `mergeMode` to be 'concat', 'sum', 'mul', 'ave' or null, received "max"/,
    ],
    [
      'a backward layer reading forwards',
      () =>
        new Bidirectional({
          layer: new LSTM({ units: 2 }),
          backwardLayer: new LSTM({ units: 2 }),
        }),
      /must read in different directions, but both have goBackwards: false\. Give the backward layer goBackwards: true/,
    ],
    [
      'a backward layer returning other steps',
      () =>
        new Bidirectional({
          layer: new LSTM({ units: 2 }),
          backwardLayer: new LSTM({ units: 2, goBackwards: true, returnSequences: true }),
        }),
      /must have the same returnSequences, received false \(forward, LSTM 'forward_lstm.*\) and true \(backward/,
    ],
    [
      'a snake_case key',
      () => new Bidirectional({ layer: new LSTM({ units: 2 }), merge_mode: 'sum' } as never),
      /merge_mode/,
    ],
  ])('refuses %s', (_case, make, message) => {
    expect(make).toThrow(message);
  });

  it.each<[string, () => Bidirectional, RegExp]>([
    [
      'mergeMode null',
      () => new Bidirectional({ layer: new LSTM({ units: 2 }), mergeMode: null }),
      /has mergeMode: null and so returns several tensors/,
    ],
    [
      'returnState',
      () => new Bidirectional({ layer: new LSTM({ units: 2, returnState: true }) }),
      /has returnState: true and so returns several tensors/,
    ],
  ])('refuses to add one with %s to a Sequential model', (_case, make, message) => {
    const model = new Sequential([new Dense({ units: 3, inputShape: [4, 3] })]);
    expect(() => {
      model.add(make());
    }).toThrow(message);
    model.dispose();
  });

  it('appears in summary() with its output shape and both directions’ parameters', () => {
    const model = new Sequential([
      new Bidirectional({ layer: new LSTM({ units: 4 }), inputShape: [6, 8] }),
      new Dense({ units: 1 }),
    ]);
    const lines: string[] = [];
    model.summary((line: string) => lines.push(line));
    const row = lines.find((line) => line.includes('(None, 8)'));
    expect(row).toMatch(/│ \(None, 8\)\s+│\s+416 │/);
    expect(lines.join('\n')).toMatch(/\(Bidirectional\)/);
    model.dispose();
  });
});
