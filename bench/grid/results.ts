/**
 * What bench/grid.json holds, the summary over the points (bench/report.ts's medians and
 * ratios, point by point, then the median of the points' ratios) and the tables
 * `npm run bench:grid` prints.
 */
import type { KernelInfo } from '../../src/index';
import type { GitState, Machine } from '../provenance';
import {
  type ContenderResult,
  type Ratio,
  type Spread,
  padTable,
  ratios,
  spread,
  summarizeContender,
} from '../report';
import { type GridPoint, pointLabel } from './points';
import type { PointPlan } from './sizing';

/** One point: its plan, both contenders' rounds and medians, and ours / Keras. */
export interface PointResult {
  point: GridPoint;
  /** `LSTM(256) · batch 64 · 100x32`. */
  label: string;
  /** Its data size, rounds and epochs per timed call (from the measuring epochs). */
  plan: PointPlan;
  /** The sizing model's estimate of the point's wall time, and the time it took, in seconds. */
  estimatedSeconds: number;
  seconds: number;
  /**
   * One epoch of each side after the warm-up, which sets the epochs of each timed call (not in
   * the medians); null where that side failed.
   */
  measuringEpochSeconds: { ours: number | null; keras: number | null };
  /** Weights of each side's model (equal when both built the same layers). */
  params: { ours: number | null; keras: number | null };
  ours: ContenderResult;
  keras: ContenderResult;
  /** ours / Keras: of the medians, and round by round; null when a side has no rounds. */
  ratio: Ratio | null;
}

/** The points' ratios taken together. */
export interface GridSummary {
  /** Points with a training ratio. */
  points: number;
  /** Median, min and max over the points of the training and predict ratios (ours / Keras). */
  train: Spread | null;
  predict: Spread | null;
  /** The labels of the points where ours trains (predicts) slower than Keras. */
  trainBelowOne: string[];
  predictBelowOne: string[];
  /** The labels of the points that failed, with the reason. */
  failed: string[];
}

export interface GridResults {
  date: string;
  command: string;
  machine: Machine;
  node: string;
  tfjs: string;
  /** The tfjs backend ours ran on (`auto`: tensorflow when tfjs-node loads). */
  backend: string;
  /** This package's kernels (kernelInfo()). */
  kernels: KernelInfo;
  git: GitState | null;
  keras: { python: string; keras: string; tensorflow: string; maxRssBytes: number | null } | null;
  grid: 'reduced' | 'full';
  rounds: number;
  /** The sizing model's estimate of the run, and its wall time, in seconds. */
  estimatedSeconds: number;
  durationSeconds: number;
  /** 1-, 5- and 15-minute load averages at the start and end. */
  load: { start: number[]; end: number[] };
  summary: GridSummary;
  points: PointResult[];
}

/**
 * Fills in both contenders' medians (bench/report.ts) and ours / Keras. `ours` and `keras` hold
 * their rounds (and an error, when a step failed).
 */
export function completePoint(fields: Omit<PointResult, 'ratio' | 'label'>): PointResult {
  summarizeContender(fields.ours, true);
  summarizeContender(fields.keras, false);
  const both = fields.ours.rounds.length > 0 && fields.keras.rounds.length > 0;
  const ratio = both ? (ratios({ ours: fields.ours, keras: fields.keras }).keras ?? null) : null;
  return { ...fields, label: pointLabel(fields.point), ratio };
}

/** The summary over `points`. */
export function summarizeGrid(points: readonly PointResult[]): GridSummary {
  const trains = points.flatMap((p) => (p.ratio?.train == null ? [] : [p.ratio.train]));
  const predicts = points.flatMap((p) => (p.ratio?.predict == null ? [] : [p.ratio.predict]));
  const below = (key: 'train' | 'predict'): string[] =>
    points.filter((p) => (p.ratio?.[key] ?? Number.NaN) < 1).map((p) => p.label);
  return {
    points: trains.length,
    train: spread(trains),
    predict: spread(predicts),
    trainBelowOne: below('train'),
    predictBelowOne: below('predict'),
    failed: points.flatMap((p) => {
      const errors = [p.ours.error, p.keras.error].filter((e): e is string => e !== null);
      return errors.length === 0 ? [] : [`${p.label}: ${errors.join('; ')}`];
    }),
  };
}

// ---- the tables ----

const fmtRatio = (v: number | null | undefined): string => (v == null ? '-' : `${v.toFixed(2)}x`);
const fmtRate = (s: Spread | null): string => (s === null ? '-' : String(Math.round(s.median)));
const fmtMinutes = (seconds: number): string => `${(seconds / 60).toFixed(1)} min`;

/** One line per point: samples/s of both sides, the ratios, and the time it took. */
export function pointRows(points: readonly PointResult[]): string[] {
  const rows = [
    ['point', 'samples', 'ours train/s', 'Keras train/s', 'train', 'by round', 'predict', 'time'],
    ...points.map((p) => [
      p.label,
      `${p.plan.samples}${p.plan.epochsPerRound > 1 ? ` x${p.plan.epochsPerRound}` : ''}`,
      fmtRate(p.ours.train),
      fmtRate(p.keras.train),
      fmtRatio(p.ratio?.train),
      p.ratio?.trainByRound == null
        ? '-'
        : `${fmtRatio(p.ratio.trainByRound.min)}-${fmtRatio(p.ratio.trainByRound.max)}`,
      fmtRatio(p.ratio?.predict),
      `${p.seconds.toFixed(0)} s`,
    ]),
  ];
  return padTable(rows, new Set([1, 2, 3, 4, 5, 6, 7]));
}

/** The summary's lines. */
export function summaryLines(summary: GridSummary): string[] {
  const range = (s: Spread | null): string =>
    s === null ? '-' : `median ${fmtRatio(s.median)} (${fmtRatio(s.min)}-${fmtRatio(s.max)})`;
  const list = (labels: readonly string[]): string =>
    labels.length === 0 ? 'none' : labels.join('; ');
  return [
    `ours / Keras over ${summary.points} points: training ${range(summary.train)}, predict ${range(summary.predict)}`,
    `training below 1x: ${list(summary.trainBelowOne)}`,
    `predict below 1x: ${list(summary.predictBelowOne)}`,
    ...summary.failed.map((f) => `FAILED ${f}`),
  ];
}

/** The readable report of a run. */
export function formatGrid(r: GridResults): string {
  const keras =
    r.keras === null
      ? 'Keras: did not run'
      : `Keras ${r.keras.keras} on TensorFlow ${r.keras.tensorflow} (${r.keras.python})`;
  return [
    `tfjs-keras-rnn bench:grid (${r.grid}, ${r.rounds} rounds) · ${r.date} · ${r.machine.cpu}, ${r.machine.cores} cores · Node ${r.node} · tfjs ${r.tfjs} on ${r.backend}`,
    `command: ${r.command}${r.git === null ? '' : ` at ${r.git.commit.slice(0, 7)}${r.git.srcChanged ? ' with uncommitted changes in src/' : ''}`}`,
    keras,
    `load average ${r.load.start.join(' ')} at start, ${r.load.end.join(' ')} at end; ${fmtMinutes(r.durationSeconds)} (estimated ${fmtMinutes(r.estimatedSeconds)})`,
    "samples/s: medians of the rounds; train, predict: ours / Keras of the medians; by round: min-max of each round's training ratio.",
    '',
    ...pointRows(r.points),
    '',
    ...summaryLines(r.summary),
  ].join('\n');
}

/** The plan of a run (`--plan`): each point's data size and estimated time, and the total. */
export function formatPlan(
  points: readonly { point: GridPoint; plan: PointPlan; estimatedSeconds: number }[],
  grid: 'reduced' | 'full',
): string {
  const rows = [
    ['point', 'samples', 'epochs/round', 'rounds', 'estimated'],
    ...points.map(({ point, plan, estimatedSeconds }) => [
      pointLabel(point),
      String(plan.samples),
      String(plan.epochsPerRound),
      String(plan.rounds),
      `${estimatedSeconds.toFixed(0)} s`,
    ]),
  ];
  const total = points.reduce((sum, p) => sum + p.estimatedSeconds, 0);
  return [
    ...padTable(rows, new Set([1, 2, 3, 4])),
    '',
    `${grid} grid: ${points.length} points, expected ${fmtMinutes(total)} (the sizing model's estimate, from this repository's 2-vCPU machine)`,
  ].join('\n');
}
