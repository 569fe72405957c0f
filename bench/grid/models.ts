/**
 * This package's model of a grid point, compiled as bench/keras_bench.py compiles Keras's (the
 * same layers, Keras's default initializers and Adam; the starting weights are each side's own
 * draws, which do not change the speed).
 */
import { Dense, Embedding, GRU, LSTM, Sequential, SimpleRNN } from '../../src/index';
import { type CellKind, EXTRA_MODELS, type GridPoint } from './points';

/** The layer class of each cell kind. */
const CELL_LAYERS: Record<CellKind, typeof SimpleRNN | typeof LSTM | typeof GRU> = {
  SimpleRNN,
  LSTM,
  GRU,
};

/** The point's model, compiled. */
export function buildGridModel(point: GridPoint): Sequential {
  if (point.kind === 'embedding-classifier') {
    const shape = EXTRA_MODELS['embedding-classifier'];
    const model = new Sequential([
      new Embedding({
        inputDim: shape.vocabulary,
        outputDim: shape.embedding,
        inputShape: [shape.steps],
      }),
      new SimpleRNN({ units: shape.units }),
      new Dense({ units: shape.classes, activation: 'softmax' }),
    ]);
    model.compile({
      optimizer: 'adam',
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    });
    return model;
  }
  if (point.kind === 'tagger') {
    const shape = EXTRA_MODELS.tagger;
    const model = new Sequential([
      new SimpleRNN({
        units: shape.units,
        returnSequences: true,
        inputShape: [shape.steps, shape.features],
      }),
      new Dense({ units: shape.tags, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    return model;
  }
  const Layer = CELL_LAYERS[point.cell];
  const model = new Sequential([
    new Layer({ units: point.units, inputShape: [point.steps, point.features] }),
    new Dense({ units: 1 }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  return model;
}
