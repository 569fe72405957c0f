/**
 * Keras's IndexedSlices semantics for embedding tables: the per-lookup rows recorded by
 * `recordLookupRows` during `computeGradients` / `minimize` make Adam's and RMSprop's second
 * moments, Adagrad's and Adadelta's accumulators add the sum of the squared rows of each id,
 * and Adamax's norm the sum of their absolute values; clipnorm and clipvalue act on the rows;
 * globalClipnorm measures the rows and then sums them. Then the letters fixture, trained with
 * Keras's Adam through `minimize`, lands on Keras's final weights, and the dense rule does not.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readFixtureFile } from '../../src/keras/fixture';
import { modelFromFixture } from '../../src/keras/compare';
import { kerasWeightOrder } from '../../src/keras/keras_weights';
import { readTrainingSection } from '../../src/keras/sections';
import { registeredVariable, runLayers } from '../../src/models/forward';
import { getLoss } from '../../src/models/losses';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  type IndexedSlices,
  type KerasOptimizer,
  RMSprop,
  SGD,
  kerasOptimizer,
  recordIndexedSlices,
  recordLookupRows,
  segmentSum,
} from '../../src/optimizers';
import { useTestBackend } from '../helpers/tensors';

beforeAll(async () => {
  await useTestBackend();
});

/**
 * A table lookup whose gradient records its rows, as an embedding kernel does with this
 * package's hook: `tf.gather` forward, the rows summed per id backward.
 */
function lookup(table: tf.Variable | tf.LayerVariable, ids: tf.Tensor1D): tf.Tensor {
  const value = table instanceof tf.Variable ? table : table.read();
  const numRows = value.shape[0] ?? 0;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, i] = args as [tf.Tensor, tf.Tensor1D];
    (args[2] as tf.GradSaveFunc)([i]);
    return {
      value: tf.gather(t, i),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [s] = saved as [tf.Tensor1D];
        recordLookupRows(table.name, s, dy);
        return [segmentSum(dy, s, numRows), tf.zerosLike(s)];
      },
    };
  });
  return f(value, ids);
}

const TABLE = [
  [0.1, 0.2],
  [0.3, -0.4],
  [-0.5, 0.6],
  [0.7, 0.8],
];
/** Id 0 is looked up three times, ids 1 and 2 once, id 3 never. */
const IDS = [0, 1, 0, 2, 0];
/** The gradient of each looked-up row: loss = sum(lookup * ROWS). */
const ROWS = [
  [0.5, -1],
  [0.25, 0.5],
  [-1.5, 0.75],
  [2, -0.5],
  [1, 1],
];

/** Per id, the sum of f(row) over its lookups: float64, written here from the definition. */
function perId(f: (x: number) => number, rows: number[][] = ROWS): number[][] {
  const out = TABLE.map((r) => r.map(() => 0));
  IDS.forEach((id, k) => {
    const row = out[id];
    rows[k]?.forEach((x, j) => (row[j] = (row[j] ?? 0) + f(x)));
  });
  return out;
}

const G = perId((x) => x);
const SQUARES = perId((x) => x * x);
const ABS = perId((x) => Math.abs(x));
const ROW_NORM = Math.sqrt(ROWS.flat().reduce((s, x) => s + x * x, 0));

/** One `minimize` step of `optimizer` on a fresh table; returns the table and the slots. */
async function oneStep(
  optimizer: KerasOptimizer,
): Promise<{ table: number[][]; slots: Record<string, number[][]> }> {
  const table = tf.tidy(() => tf.variable(tf.tensor2d(TABLE)));
  const ids = tf.tensor1d(IDS, 'int32');
  const rows = tf.tensor2d(ROWS);
  try {
    optimizer.minimize(() => tf.sum(tf.mul(lookup(table, ids), rows)), false, [table]);
    const slots: Record<string, number[][]> = {};
    const weights = await optimizer.getWeights();
    for (const { name, tensor } of weights.slice(1)) {
      slots[name.slice(table.name.length + 1)] = tensor.arraySync() as number[][];
    }
    tf.dispose(weights[0]?.tensor);
    return { table: table.arraySync(), slots };
  } finally {
    tf.dispose([table, ids, rows]);
    optimizer.dispose();
  }
}

const map = (a: number[][], f: (x: number, i: number, j: number) => number): number[][] =>
  a.map((r, i) => r.map((x, j) => f(x, i, j)));

describe('one step with repeated ids: Keras sums over the rows after squaring them', () => {
  it('Adam: m from the summed gradient, v from the sum of the squared rows', async () => {
    const { slots } = await oneStep(new Adam({ learningRate: 0.1 }));
    expect(slots.momentum).toBeAllClose(
      map(G, (g) => 0.1 * g),
      1e-7,
      1e-5,
    );
    expect(slots.velocity).toBeAllClose(
      map(SQUARES, (s) => 0.001 * s),
      1e-9,
      1e-5,
    );
    // Not the square of the sum: id 0's first column sums to 0 but its squares to 3.5.
    expect(G[0]?.[0]).toBe(0);
    expect(SQUARES[0]?.[0]).toBe(3.5);
  });

  it('RMSprop: v = (1 - rho) * sum of squared rows', async () => {
    const { slots } = await oneStep(new RMSprop({ learningRate: 0.1 }));
    expect(slots.velocity).toBeAllClose(
      map(SQUARES, (s) => 0.1 * s),
      1e-8,
      1e-5,
    );
  });

  it('Adagrad: accumulator = initial + sum of squared rows', async () => {
    const { slots } = await oneStep(new Adagrad({ learningRate: 0.1 }));
    expect(slots.accumulator).toBeAllClose(
      map(SQUARES, (s) => 0.1 + s),
      1e-7,
      1e-6,
    );
  });

  it('Adamax: u = sum of the absolute rows', async () => {
    const { slots } = await oneStep(new Adamax({ learningRate: 0.1 }));
    expect(slots.norm).toBeAllClose(ABS, 1e-7, 1e-6);
  });

  it('Adadelta: both accumulators add squared rows', async () => {
    const { slots } = await oneStep(new Adadelta({ learningRate: 1 }));
    const eg = map(SQUARES, (s) => 0.05 * s);
    expect(slots.accumulated_grad).toBeAllClose(eg, 1e-9, 1e-5);
    // delta per row = -sqrt(0 + eps) * row / sqrt(Eg + eps): squared and summed per id.
    const ed = map(SQUARES, (s, i, j) => (0.05 * 1e-7 * s) / ((eg[i]?.[j] ?? 0) + 1e-7));
    expect(slots.accumulated_delta_var).toBeAllClose(ed, 1e-12, 1e-4);
  });

  it('SGD: the summed gradient', async () => {
    const { table } = await oneStep(new SGD({ learningRate: 1 }));
    expect(table).toBeAllClose(
      map(TABLE, (w, i, j) => w - (G[i]?.[j] ?? 0)),
      1e-6,
    );
  });
});

describe('clipping acts on the rows', () => {
  it('clipnorm: the norm is over the rows, not the summed gradient', async () => {
    const { table } = await oneStep(new SGD({ learningRate: 1, clipnorm: 1 }));
    expect(table).toBeAllClose(
      map(TABLE, (w, i, j) => w - (G[i]?.[j] ?? 0) / ROW_NORM),
      1e-6,
    );
  });

  it('clipvalue: each row is clipped before rows are summed', async () => {
    const clipped = perId(
      (x) => x,
      ROWS.map((r) => r.map((x) => Math.min(0.6, Math.max(-0.6, x)))),
    );
    const { table } = await oneStep(new SGD({ learningRate: 1, clipvalue: 0.6 }));
    expect(table).toBeAllClose(
      map(TABLE, (w, i, j) => w - (clipped[i]?.[j] ?? 0)),
      1e-6,
    );
  });

  it('globalClipnorm: measured on the rows, then the gradient is dense', async () => {
    const { slots } = await oneStep(new Adam({ learningRate: 0.1, globalClipnorm: 1 }));
    expect(slots.velocity).toBeAllClose(
      map(G, (g) => 0.001 * (g / ROW_NORM) ** 2),
      1e-10,
      1e-5,
    );
  });
});

describe('the rows, given or recorded', () => {
  it('applyGradients takes rows explicitly, with the same result as minimize', async () => {
    const adam = new Adam({ learningRate: 0.1 });
    const table = tf.tidy(() => tf.variable(tf.tensor2d(TABLE)));
    const slices: IndexedSlices = {
      indices: tf.tensor1d(IDS, 'int32'),
      values: tf.tensor2d(ROWS),
    };
    tf.tidy(() => {
      adam.applyGradients({ [table.name]: tf.tensor2d(G) }, new Map([[table.name, slices]]));
    });
    const explicit = table.arraySync();
    const viaMinimize = (await oneStep(new Adam({ learningRate: 0.1 }))).table;
    expect(explicit).toBeAllClose(viaMinimize, 1e-7);
    tf.dispose([table, slices.indices, slices.values]);
    adam.dispose();
  });

  it('adds up the rows of several lookups of one table', async () => {
    const adam = new Adam({ learningRate: 0.1 });
    const table = tf.tidy(() => tf.variable(tf.tensor2d(TABLE)));
    const [a, b] = [tf.tensor1d([0, 1, 0], 'int32'), tf.tensor1d([2, 0], 'int32')];
    const [ra, rb] = [tf.tensor2d(ROWS.slice(0, 3)), tf.tensor2d(ROWS.slice(3))];
    adam.minimize(
      () => tf.add(tf.sum(tf.mul(lookup(table, a), ra)), tf.sum(tf.mul(lookup(table, b), rb))),
      false,
      [table],
    );
    const weights = await adam.getWeights();
    expect(weights[2]?.tensor).toBeAllClose(
      map(SQUARES, (s) => 0.001 * s),
      1e-9,
      1e-5,
    );
    tf.dispose([table, a, b, ra, rb, weights[0]?.tensor]);
    adam.dispose();
  });

  it('records nothing outside a recording, and keeps no tensor', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      recordLookupRows('anything', tf.tensor1d([0], 'int32'), tf.ones([1, 2]));
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('disposes what it recorded when the computation throws', () => {
    const before = tf.memory().numTensors;
    expect(() =>
      recordIndexedSlices(() => {
        tf.tidy(() => {
          recordLookupRows('t', tf.tensor1d([0, 1], 'int32'), tf.ones([2, 2]));
        });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees recorded rows that no applyGradients used', () => {
    const adam = new Adam();
    const table = tf.tidy(() => tf.variable(tf.tensor2d(TABLE)));
    const ids = tf.tensor1d(IDS, 'int32');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = adam.computeGradients(() => tf.sum(lookup(table, ids)), [table]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before + 2);
    adam.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([table, ids]);
  });

  it('rejects rows that do not fit the variable', () => {
    const adam = new Adam();
    const table = tf.tidy(() => tf.variable(tf.tensor2d(TABLE)));
    const slices = { indices: tf.tensor1d([0, 1], 'int32'), values: tf.ones([2, 3]) };
    expect(() => {
      tf.tidy(() => {
        adam.applyGradients({ [table.name]: tf.zeros([4, 2]) }, new Map([[table.name, slices]]));
      });
    }).toThrow(
      /^Adam\.applyGradients: the rows given for '.*' have indices \[2\] and values \[2, 3\]; expected \[n\] and \[n, 2\] for a variable of shape \[4, 2\]\.$/,
    );
    tf.dispose([table, slices.indices, slices.values]);
    adam.dispose();
  });
});

describe('the letters fixture: Embedding(5, 2) -> SimpleRNN(3) -> Dense(5, softmax), Adam(0.05)', () => {
  const fixture = readFixtureFile(
    join(__dirname, '..', 'fixtures', 'keras', 'train_letters_embedding_adam.json'),
  );
  const section = readTrainingSection(fixture);

  /** Trains as Keras's fit (batches of 4, 4, 2; 4 epochs); returns the final weights. */
  function train(perLookupRows: boolean): tf.Tensor[] {
    const built = modelFromFixture(fixture);
    const [embedding, ...rest] = built.layers.map((l) => l.layer);
    const table = embedding.weights[0];
    const optimizer = kerasOptimizer(section.optimizer.className, section.optimizer.config);
    const loss = getLoss({ name: section.loss, fromLogits: section.fromLogits });
    const slots = kerasWeightOrder(built);
    const variables = slots.map((s) => registeredVariable(s.variable));
    const x = tf.tensor(section.x.data, [...section.x.shape], 'int32');
    const y = tf.tensor(section.y.data, [...section.y.shape], section.y.dtype);
    try {
      const n = x.shape[0] ?? 0;
      for (let epoch = 0; epoch < section.epochs; epoch++) {
        for (let start = 0; start < n; start += section.batchSize) {
          const size = Math.min(section.batchSize, n - start);
          const f = (): tf.Scalar => {
            const xb = tf.slice(x, [start, 0], [size, -1]);
            const rows = lookup(table, tf.reshape<tf.Rank.R1>(xb, [-1]));
            const h = tf.reshape(rows, [size, xb.shape[1] ?? 0, -1]);
            const out = runLayers(rest, h, true, true);
            return loss.compute(tf.slice(y, [start], [size]), out.output, out.logits);
          };
          if (perLookupRows) {
            optimizer.minimize(f, false, variables);
          } else {
            tf.tidy(() => {
              optimizer.applyGradients(tf.variableGrads(f, variables).grads);
            });
          }
        }
      }
      return slots.map((s) => tf.clone(s.variable.read()));
    } finally {
      tf.dispose([x, y]);
      optimizer.dispose();
      built.model.dispose();
    }
  }

  it("reaches Keras's final weights with the rows", () => {
    const finals = train(true);
    section.finalWeights.forEach((w, i) => {
      const want = tf.tensor(w.data, [...w.shape]);
      expect(finals[i]).toBeAllClose(want, section.atol, section.rtol);
      want.dispose();
    });
    tf.dispose(finals);
  });

  it("misses Keras's embedding table with the dense rule (what the rows are for)", () => {
    const finals = train(false);
    const embedding = section.finalWeights[0];
    const got = Array.from(finals[0]?.dataSync() ?? []);
    const worst = Math.max(
      ...got.map((x, i) => {
        const want = embedding.data[i];
        return Math.abs(x - want) / (section.atol + section.rtol * Math.abs(want));
      }),
    );
    expect(worst).toBeGreaterThan(10);
    tf.dispose(finals);
  });
});
