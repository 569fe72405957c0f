/**
 * Grid results made by hand for the grid's tests: points whose rounds give chosen samples/s,
 * and a whole run around them.
 */
import type { CellPoint, GridPoint } from '../../bench/grid/points';
import {
  type GridResults,
  type PointResult,
  completePoint,
  summarizeGrid,
} from '../../bench/grid/results';
import { type ContenderResult, emptyContender } from '../../bench/report';

/** A side's rounds as [training, predict] samples/s. */
export type Rates = readonly (readonly [number, number])[];

function contender(rates: Rates, error: string | null): ContenderResult {
  const c = emptyContender();
  c.rounds = rates.map(([train, predict]) => ({
    idleWaits: [],
    trainSamplesPerSecond: train,
    predictSamplesPerSecond: predict,
    fitSeconds: 1,
    epochSeconds: [1],
    tensorsAfterEpoch: [],
    loss: [0.1],
  }));
  c.error = error;
  return c;
}

/** A GRU point of `units` at batch 64 on 20x1 (other fields as given). */
export function gruPoint(units: number, over: Partial<CellPoint> = {}): CellPoint {
  return { kind: 'cell', cell: 'GRU', units, batch: 64, steps: 20, features: 1, ...over };
}

/** A point's result from both sides' rounds; `kerasError` marks Keras as failed. */
export function pointResult(
  point: GridPoint,
  ours: Rates,
  keras: Rates,
  kerasError: string | null = null,
): PointResult {
  return completePoint({
    point,
    plan: { samples: 640, epochsPerRound: 1, rounds: 3 },
    estimatedSeconds: 10,
    seconds: 11,
    measuringEpochSeconds: { ours: 0.3, keras: 0.5 },
    params: { ours: 100, keras: 100 },
    ours: contender(ours, null),
    keras: contender(keras, kerasError),
  });
}

/** A whole run of `points`. */
export function gridResults(points: PointResult[]): GridResults {
  return {
    date: '2026-12-08T00:00:00.000Z',
    command: 'npm run bench:grid',
    machine: { cpu: 'AMD EPYC', cores: 2, memoryBytes: 1, platform: 'linux' },
    node: 'v20',
    tfjs: '4.22.0',
    backend: 'tensorflow',
    kernels: {
      kernel: 'wasm',
      variant: 'relaxed-simd',
      threads: 2,
      cells: { SimpleRNN: 'sequence', LSTM: 'sequence', GRU: 'sequence' },
    },
    git: null,
    keras: { python: 'python', keras: '3.15.1', tensorflow: '2.21.0', maxRssBytes: null },
    grid: 'reduced',
    rounds: 3,
    estimatedSeconds: 60,
    durationSeconds: 66,
    load: { start: [1], end: [1] },
    summary: summarizeGrid(points),
    points,
  };
}
