import * as tf from '@tensorflow/tfjs';
import { useTestBackend } from '../helpers/tensors';
import { Dense, Dropout, Embedding, SimpleRNN } from '../../src/index';
import { Sequential } from '../../src/models/sequential';
import {
  columnWidths,
  formatBytes,
  formatCount,
  summaryLines,
  wrapCell,
} from '../../src/models/summary';

beforeAll(async () => {
  await useTestBackend();
});

function text(model: Sequential, lineLength = 76): string {
  const lines: string[] = [];
  model.summary((line) => lines.push(line), { lineLength });
  return lines.join('\n');
}

describe('summary: Keras 3 layout, character for character', () => {
  it('SimpleRNN(3) on 5 features + Dense(5, softmax): 27 + 20 params', () => {
    const model = new Sequential([
      new SimpleRNN({ units: 3, inputShape: [4, 5], name: 'simple_rnn' }),
      new Dense({ units: 5, activation: 'softmax', name: 'dense' }),
    ]);
    // keras.Sequential([keras.Input((4, 5)), layers.SimpleRNN(3),
    //                   layers.Dense(5, activation="softmax")]).summary()   (Keras 3.15, piped)
    expect(text(model)).toBe(
      [
        'Model: "sequential"',
        '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
        '┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃',
        '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
        '│ simple_rnn (SimpleRNN)          │ (None, 3)              │            27 │',
        '├─────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ dense (Dense)                   │ (None, 5)              │            20 │',
        '└─────────────────────────────────┴────────────────────────┴───────────────┘',
        ' Total params: 47 (188.00 B)',
        ' Trainable params: 47 (188.00 B)',
        ' Non-trainable params: 0 (0.00 B)',
      ].join('\n'),
    );
    // The same at Keras's full width (COLUMNS=100 python ... : line length 88).
    expect(text(model, 88).split('\n').slice(1, 5)).toEqual([
      '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓',
      '┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃',
      '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩',
      '│ simple_rnn (SimpleRNN)               │ (None, 3)                   │              27 │',
    ]);
    model.dispose();
  });

  it('returnSequences and Dense on every step: (None, 4, 3) and (None, 4, 5)', () => {
    const model = new Sequential([
      new SimpleRNN({ units: 3, inputShape: [4, 5], returnSequences: true, name: 'simple_rnn' }),
      new Dense({ units: 5, activation: 'softmax', name: 'dense' }),
    ]);
    const lines = text(model).split('\n');
    expect(lines[4]).toBe(
      '│ simple_rnn (SimpleRNN)          │ (None, 4, 3)           │            27 │',
    );
    expect(lines[6]).toBe(
      '│ dense (Dense)                   │ (None, 4, 5)           │            20 │',
    );
    model.dispose();
  });

  it('the letters model with an Embedding', () => {
    const model = new Sequential(
      [
        new Embedding({ inputDim: 5, outputDim: 2, inputShape: [4], name: 'embedding' }),
        new SimpleRNN({ units: 3, name: 'simple_rnn_1' }),
        new Dense({ units: 5, activation: 'softmax', name: 'dense_1' }),
      ],
      { name: 'letters' },
    );
    // keras.Sequential([keras.Input((4,)), layers.Embedding(5, 2), layers.SimpleRNN(3),
    //                   layers.Dense(5, activation="softmax")], name="letters").summary()
    expect(text(model)).toBe(
      [
        'Model: "letters"',
        '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
        '┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃',
        '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
        '│ embedding (Embedding)           │ (None, 4, 2)           │            10 │',
        '├─────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ simple_rnn_1 (SimpleRNN)        │ (None, 3)              │            18 │',
        '├─────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ dense_1 (Dense)                 │ (None, 5)              │            20 │',
        '└─────────────────────────────────┴────────────────────────┴───────────────┘',
        ' Total params: 48 (192.00 B)',
        ' Trainable params: 48 (192.00 B)',
        ' Non-trainable params: 0 (0.00 B)',
      ].join('\n'),
    );
    model.dispose();
  });

  it('the stock model after fit with Adam counts the optimizer, as Keras', async () => {
    const model = new Sequential(
      [
        new SimpleRNN({
          units: 80,
          returnSequences: true,
          inputShape: [60, 1],
          name: 'simple_rnn_1',
        }),
        new Dropout({ rate: 0.2, name: 'dropout' }),
        new SimpleRNN({ units: 100, name: 'simple_rnn_2' }),
        new Dropout({ rate: 0.2, name: 'dropout_1' }),
        new Dense({ units: 1, name: 'dense_1' }),
      ],
      { name: 'sequential_1' },
    );
    model.compile({ optimizer: 'adam', loss: 'mse' });
    // s = keras.Sequential([keras.Input((60, 1)), layers.SimpleRNN(80, return_sequences=True),
    //   layers.Dropout(0.2), layers.SimpleRNN(100), layers.Dropout(0.2), layers.Dense(1)])
    // s.compile(optimizer="adam", loss="mse"); s.summary()      -> no optimizer line yet
    // s.fit(np.zeros((4, 60, 1)), np.zeros((4, 1)), verbose=0); s.summary()
    const before = text(model).split('\n');
    expect(before.slice(-3)).toEqual([
      ' Total params: 24,761 (96.72 KB)',
      ' Trainable params: 24,761 (96.72 KB)',
      ' Non-trainable params: 0 (0.00 B)',
    ]);
    await model.fit(tf.zeros([4, 60, 1]), tf.zeros([4, 1]), { verbose: 0 });
    expect(text(model)).toBe(
      [
        'Model: "sequential_1"',
        '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
        '┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃',
        '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
        '│ simple_rnn_1 (SimpleRNN)        │ (None, 60, 80)         │         6,560 │',
        '├─────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ dropout (Dropout)               │ (None, 60, 80)         │             0 │',
        '├─────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ simple_rnn_2 (SimpleRNN)        │ (None, 100)            │        18,100 │',
        '├─────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ dropout_1 (Dropout)             │ (None, 100)            │             0 │',
        '├─────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ dense_1 (Dense)                 │ (None, 1)              │           101 │',
        '└─────────────────────────────────┴────────────────────────┴───────────────┘',
        ' Total params: 74,285 (290.18 KB)',
        ' Trainable params: 24,761 (96.72 KB)',
        ' Non-trainable params: 0 (0.00 B)',
        ' Optimizer params: 49,524 (193.46 KB)',
      ]
        .join('\n')
        .replace('sequential_1', model.name),
    );
    model.dispose();
  });

  it('a model not built yet shows ? and 0 (unbuilt), as Keras', () => {
    const model = new Sequential([
      new SimpleRNN({ units: 3, name: 'simple_rnn' }),
      new Dense({ units: 5, activation: 'softmax', name: 'dense' }),
    ]);
    // keras.Sequential([layers.SimpleRNN(3), layers.Dense(5, activation="softmax")]).summary()
    expect(text(model).split('\n').slice(4, 11)).toEqual([
      '│ simple_rnn (SimpleRNN)          │ ?                      │   0 (unbuilt) │',
      '├─────────────────────────────────┼────────────────────────┼───────────────┤',
      '│ dense (Dense)                   │ ?                      │   0 (unbuilt) │',
      '└─────────────────────────────────┴────────────────────────┴───────────────┘',
      ' Total params: 0 (0.00 B)',
      ' Trainable params: 0 (0.00 B)',
      ' Non-trainable params: 0 (0.00 B)',
    ]);
    model.dispose();
  });

  it('wraps long names at spaces and cuts a word longer than the cell with an ellipsis', () => {
    const model = new Sequential([
      new Embedding({
        inputDim: 1000,
        outputDim: 64,
        inputShape: [4],
        name: 'a_very_long_embedding_layer_name_indeed',
      }),
    ]);
    // keras.Sequential([keras.Input((4,)), layers.Embedding(1000, 64,
    //   name="a_very_long_embedding_layer_name_indeed"),
    //   layers.SimpleRNN(3, name="rnn with spaces in its long name"), ...]).summary()
    expect(text(model).split('\n').slice(4, 6)).toEqual([
      '│ a_very_long_embedding_layer_na… │ (None, 4, 64)          │        64,000 │',
      '│ (Embedding)                     │                        │               │',
    ]);
    model.dispose();
    // tfjs does not allow spaces in layer names; Keras does, and wraps them at the spaces.
    const row = {
      name: 'rnn with spaces in its long name',
      className: 'SimpleRNN',
      outputShape: [null, 3],
      params: 204,
    };
    const lines = summaryLines(
      { modelName: 'm', rows: [row], trainableParams: 204, nonTrainableParams: 0 },
      { lineLength: 76 },
    );
    expect(lines.slice(4, 6)).toEqual([
      '│ rnn with spaces in its long     │ (None, 3)              │           204 │',
      '│ name (SimpleRNN)                │                        │               │',
    ]);
  });
});

describe('summary: pieces', () => {
  it('column widths follow rich: 33/24/15 at 76 columns, 38/29/17 at 88', () => {
    expect(columnWidths(76).map((w) => w + 2)).toEqual([33, 24, 15]);
    expect(columnWidths(88).map((w) => w + 2)).toEqual([38, 29, 17]);
  });

  it('formats counts and sizes as Keras', () => {
    expect(formatCount(24761)).toBe('24,761');
    expect(formatCount(27)).toBe('27');
    expect(formatBytes(108)).toBe('108.00 B');
    expect(formatBytes(99044)).toBe('96.72 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.00 MB');
  });

  it('wraps cells greedily', () => {
    expect(wrapCell('one two three', 8)).toEqual(['one two', 'three']);
    expect(wrapCell('abcdefghij', 5)).toEqual(['abcd…']);
  });

  it('rejects a line too narrow for the table', () => {
    expect(() => columnWidths(8)).toThrow(/insufficient console width to print summary/);
  });
});
