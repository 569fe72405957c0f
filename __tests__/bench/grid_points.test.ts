import { describe, expect, it } from '@jest/globals';
import { gridArrays } from '../../bench/grid/data';
import {
  CELL_KINDS,
  type CellPoint,
  EXTRA_MODELS,
  FULL_AXES,
  type GridPoint,
  REDUCED_COLUMNS,
  REDUCED_UNITS,
  columnLabel,
  gridPoints,
  inputShape,
  kerasModelName,
  pointLabel,
  rowLabel,
} from '../../bench/grid/points';

const cellsOf = (points: readonly GridPoint[]): CellPoint[] =>
  points.filter((p): p is CellPoint => p.kind === 'cell');
const valuesOf = <K extends keyof CellPoint>(
  points: readonly CellPoint[],
  key: K,
): CellPoint[K][] => [...new Set(points.map((p) => p[key]))];

describe('the full grid', () => {
  const points = gridPoints(true);
  const cells = cellsOf(points);

  it('crosses every axis: 3 cells x 4 units x 3 batches x 2 steps x 2 features, then the two models', () => {
    expect(cells).toHaveLength(3 * 4 * 3 * 2 * 2);
    expect(points).toHaveLength(146);
    expect(points.slice(-2).map((p) => p.kind)).toEqual(['embedding-classifier', 'tagger']);
    expect(valuesOf(cells, 'cell')).toEqual([...CELL_KINDS]);
    expect(valuesOf(cells, 'units')).toEqual([32, 128, 256, 512]);
    expect(valuesOf(cells, 'batch')).toEqual([8, 64, 256]);
    expect(valuesOf(cells, 'steps')).toEqual([20, 100]);
    expect(valuesOf(cells, 'features')).toEqual([1, 32]);
    expect(FULL_AXES.units).toEqual([32, 128, 256, 512]);
  });

  it('has each point once', () => {
    expect(new Set(points.map(pointLabel)).size).toBe(points.length);
  });
});

describe('the reduced grid', () => {
  const points = gridPoints(false);
  const cells = cellsOf(points);

  it('is every cell kind x units 32, 256 x the eight columns, then the two models', () => {
    expect(cells).toHaveLength(3 * 2 * 8);
    expect(points).toHaveLength(50);
    expect(valuesOf(cells, 'units')).toEqual([...REDUCED_UNITS]);
    expect(REDUCED_COLUMNS).toHaveLength(8);
    expect(points.slice(-2).map((p) => p.kind)).toEqual(['embedding-classifier', 'tagger']);
  });

  it('varies every axis of the full grid', () => {
    expect(valuesOf(cells, 'cell')).toEqual([...CELL_KINDS]);
    for (const key of ['batch', 'steps', 'features'] as const) {
      expect(valuesOf(cells, key).length).toBeGreaterThanOrEqual(2);
    }
    expect(valuesOf(cells, 'batch').sort((a, b) => a - b)).toEqual([8, 64, 256]);
  });

  it('is a part of the full grid', () => {
    const full = new Set(gridPoints(true).map(pointLabel));
    for (const p of points) expect(full.has(pointLabel(p))).toBe(true);
  });
});

describe('names', () => {
  const lstm: CellPoint = {
    kind: 'cell',
    cell: 'LSTM',
    units: 256,
    batch: 64,
    steps: 100,
    features: 32,
  };

  it('names the Keras model by its shape, without the batch', () => {
    expect(kerasModelName(lstm)).toBe('grid:LSTM:256:100:32');
    expect(kerasModelName({ kind: 'tagger', batch: 64 })).toBe('tagger');
    expect(kerasModelName({ kind: 'embedding-classifier', batch: 64 })).toBe(
      'embedding-classifier',
    );
  });

  it('labels rows by cell and units, columns by batch and input shape', () => {
    expect(rowLabel(lstm)).toBe('LSTM(256)');
    expect(columnLabel(lstm)).toBe('batch 64 · 100x32');
    expect(pointLabel(lstm)).toBe('LSTM(256) · batch 64 · 100x32');
    expect(pointLabel({ kind: 'tagger', batch: 64 })).toBe('tagger · batch 64 · 30x8');
  });

  it("gives the Embedding classifier's input its embedding's width as features", () => {
    expect(inputShape({ kind: 'embedding-classifier', batch: 64 })).toEqual({
      steps: EXTRA_MODELS['embedding-classifier'].steps,
      features: EXTRA_MODELS['embedding-classifier'].embedding,
    });
  });
});

describe('gridArrays', () => {
  it.each(
    gridPoints(false)
      .slice(-4)
      .map((p): [string, GridPoint] => [pointLabel(p), p]),
  )("%s: the same numbers every call, of the model's shapes", (_label, point) => {
    const a = gridArrays(point, 16);
    const b = gridArrays(point, 16);
    expect(a.x.values).toEqual(b.x.values);
    expect(a.y.values).toEqual(b.y.values);
    expect(a.x.shape[0]).toBe(16);
    expect(a.x.values.length).toBe(a.x.shape.reduce((p, n) => p * n, 1));
    expect(a.y.values.length).toBe(a.y.shape.reduce((p, n) => p * n, 1));
  });

  it('draws cell inputs in [0, 1) in steps of 1/256, short in JSON', () => {
    const point: CellPoint = {
      kind: 'cell',
      cell: 'GRU',
      units: 32,
      batch: 8,
      steps: 20,
      features: 32,
    };
    const { x, y } = gridArrays(point, 8);
    expect(x.shape).toEqual([8, 20, 32]);
    expect(y.shape).toEqual([8, 1]);
    for (const v of x.values) {
      expect(v >= 0 && v < 1 && Number.isInteger(v * 256)).toBe(true);
      expect(String(v).length).toBeLessThanOrEqual(10);
    }
  });

  it('gives the classifier word ids in [1, 2000) and classes in [0, 4), int32 for Keras', () => {
    const { x, y } = gridArrays({ kind: 'embedding-classifier', batch: 64 }, 64);
    expect([x.shape, x.dtype, y.shape, y.dtype]).toEqual([[64, 80], 'int32', [64], 'int32']);
    expect(x.values.every((id) => Number.isInteger(id) && id >= 1 && id < 2000)).toBe(true);
    expect(new Set(y.values)).toEqual(new Set([0, 1, 2, 3]));
  });

  it('gives the tagger a tag in [0, 8) per step', () => {
    const { x, y } = gridArrays({ kind: 'tagger', batch: 64 }, 64);
    expect([x.shape, y.shape, y.dtype]).toEqual([[64, 30, 8], [64, 30], 'int32']);
    expect(new Set(y.values)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
  });
});
