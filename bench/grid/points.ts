/**
 * The points of `npm run bench:grid`: which models it times, how each is named, and where each
 * sits in the heat map. Pure: no tfjs, no Python.
 *
 * A cell point is [steps x features] -> CELL(units) -> Dense(1), MSE, Adam with Keras's
 * defaults, trained in batches of `batch`. The whole grid crosses every cell kind, units, batch,
 * steps and features below (144 points); the reduced grid, the default, takes two values of each
 * axis but batch and features around the course's stock shape (48 points). Both add two models
 * of their own shape: an Embedding classifier and a per-step tagger.
 */

/** The recurrent cells of the grid, as Keras names their layers. */
export const CELL_KINDS = ['SimpleRNN', 'LSTM', 'GRU'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/** One recurrent layer of `units` on [steps x features] inputs, then Dense(1). */
export interface CellPoint {
  kind: 'cell';
  cell: CellKind;
  units: number;
  batch: number;
  steps: number;
  features: number;
}

/** The two models of their own shape (EXTRA_MODELS has their layers). */
export const EXTRA_MODEL_NAMES = ['embedding-classifier', 'tagger'] as const;
export type ExtraModelName = (typeof EXTRA_MODEL_NAMES)[number];

/** One of the models of their own shape, trained in batches of `batch`. */
export type ExtraPoint = { [K in ExtraModelName]: { kind: K; batch: number } }[ExtraModelName];

export type GridPoint = CellPoint | ExtraPoint;

/**
 * The shapes of the two extra models (bench/keras_bench.py has the same numbers):
 * - embedding-classifier: 80 word ids in [1, 2000) -> Embedding(2000, 64) -> SimpleRNN(128) ->
 *   Dense(4, softmax); sparse categorical crossentropy with accuracy; Adam.
 * - tagger: [30 x 8] -> SimpleRNN(64, returnSequences) -> Dense(8, softmax) at every step;
 *   sparse categorical crossentropy over every step; Adam.
 */
export const EXTRA_MODELS = {
  'embedding-classifier': { steps: 80, vocabulary: 2000, embedding: 64, units: 128, classes: 4 },
  tagger: { steps: 30, features: 8, units: 64, tags: 8 },
} as const;

/** The batch size the extra models train with. */
export const EXTRA_BATCH = 64;

/** The values of each axis of the cell points. */
export interface GridAxes {
  cells: readonly CellKind[];
  units: readonly number[];
  batch: readonly number[];
  steps: readonly number[];
  features: readonly number[];
}

/** The whole grid (`--full`): every value of every axis. */
export const FULL_AXES: GridAxes = {
  cells: CELL_KINDS,
  units: [32, 128, 256, 512],
  batch: [8, 64, 256],
  steps: [20, 100],
  features: [1, 32],
};

/**
 * The reduced grid's columns (batch, steps, features): both steps at every batch with one
 * feature, and both features at batch 64 (the course's batch). With units 32 and 256, the
 * reduced grid is 3 cells x 2 units x 8 columns: every axis is varied and the whole run stays
 * near 10 minutes on a 2-vCPU machine.
 */
export const REDUCED_UNITS: readonly number[] = [32, 256];
export const REDUCED_COLUMNS: readonly Pick<CellPoint, 'batch' | 'steps' | 'features'>[] = [
  { batch: 8, steps: 20, features: 1 },
  { batch: 8, steps: 100, features: 1 },
  { batch: 64, steps: 20, features: 1 },
  { batch: 64, steps: 20, features: 32 },
  { batch: 64, steps: 100, features: 1 },
  { batch: 64, steps: 100, features: 32 },
  { batch: 256, steps: 20, features: 1 },
  { batch: 256, steps: 100, features: 1 },
];

/** Every cell point of `axes`, cell by cell, then units, batch, steps and features. */
export function crossAxes(axes: GridAxes): CellPoint[] {
  const points: CellPoint[] = [];
  for (const cell of axes.cells)
    for (const units of axes.units)
      for (const batch of axes.batch)
        for (const steps of axes.steps)
          for (const features of axes.features)
            points.push({ kind: 'cell', cell, units, batch, steps, features });
  return points;
}

/** The two extra models' points. */
export function extraPoints(): ExtraPoint[] {
  return EXTRA_MODEL_NAMES.map((kind) => ({ kind, batch: EXTRA_BATCH }));
}

/** The points a run times: the reduced grid, or the whole one with `full`. */
export function gridPoints(full: boolean): GridPoint[] {
  const cells: CellPoint[] = full
    ? crossAxes(FULL_AXES)
    : CELL_KINDS.flatMap((cell) =>
        REDUCED_UNITS.flatMap((units) =>
          REDUCED_COLUMNS.map((column): CellPoint => ({ kind: 'cell', cell, units, ...column })),
        ),
      );
  return [...cells, ...extraPoints()];
}

/**
 * The name bench/keras_bench.py builds the point's model from (the batch is not part of it):
 * "grid:CELL:UNITS:STEPS:FEATURES", or the extra model's name.
 */
export function kerasModelName(point: GridPoint): string {
  if (point.kind !== 'cell') return point.kind;
  return `grid:${point.cell}:${point.units}:${point.steps}:${point.features}`;
}

/** The heat map's row of a point: `LSTM(256)`, or the extra model's name. */
export function rowLabel(point: GridPoint): string {
  return point.kind === 'cell' ? `${point.cell}(${point.units})` : point.kind;
}

/** The heat map's column of a point: `batch 64 · 100x32` (steps x features). */
export function columnLabel(point: GridPoint): string {
  const { steps, features } = inputShape(point);
  return `batch ${point.batch} · ${steps}x${features}`;
}

/** A point's name in logs and tables: `LSTM(256) · batch 64 · 100x32`. */
export function pointLabel(point: GridPoint): string {
  return `${rowLabel(point)} · ${columnLabel(point)}`;
}

/**
 * The steps and features of a point's input; the Embedding classifier's features are its
 * embedding's width (its input is one word id per step).
 */
export function inputShape(point: GridPoint): { steps: number; features: number } {
  if (point.kind === 'cell') return { steps: point.steps, features: point.features };
  if (point.kind === 'tagger') {
    const { steps, features } = EXTRA_MODELS.tagger;
    return { steps, features };
  }
  const { steps, embedding } = EXTRA_MODELS['embedding-classifier'];
  return { steps, features: embedding };
}

/** The recurrent layer of a point: its cell kind and units. */
export function recurrentLayer(point: GridPoint): { cell: CellKind; units: number } {
  if (point.kind === 'cell') return { cell: point.cell, units: point.units };
  return { cell: 'SimpleRNN', units: EXTRA_MODELS[point.kind].units };
}
