/**
 * How much data each grid point trains on, how many epochs a timed call runs, and how long a
 * run should take. The samples come from a rough cost model of both contenders, so that every
 * point's epochs are long enough to time (Keras spends ~25 ms around each epoch, and a short
 * epoch is mostly that) while the whole grid stays within its budget; the epochs per call come
 * from one measured epoch of each side (`epochsPerCall`), so that the faster side's calls are
 * not a few milliseconds long. The model only sizes the runs; the numbers reported are measured.
 *
 * Its constants come from this repository's machine (2 vCPUs, AMD EPYC with AVX-512, 2026-12):
 * Keras 3 on TensorFlow 2.21 CPU ran ~50 us per step of a batch's forward and backward pass
 * whatever the size, and its products at 25-70 GMAC/s (oneDNN, AVX-512); this package's kernels
 * ran a few us per step and ~20 GMAC/s (WebAssembly SIMD, 128 bits). Pure: no tfjs, no Python.
 */
import { EXTRA_MODELS, type GridPoint, inputShape, recurrentLayer, type CellKind } from './points';

/** The products of each cell kind per step: one per gate (Keras's layouts). */
export const GATES: Record<CellKind, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

/**
 * Multiply-adds of one sample's forward pass: the recurrent layer's input and recurrent
 * products (and its bias), plus the heads that run at every step (the tagger's Dense). A
 * training step does about three times as many (forward, and the two gradients of backward).
 */
export function forwardMacsPerSample(point: GridPoint): number {
  const { steps, features } = inputShape(point);
  const { cell, units } = recurrentLayer(point);
  const recurrent = steps * GATES[cell] * units * (features + units + 1);
  if (point.kind === 'tagger') return recurrent + steps * units * EXTRA_MODELS.tagger.tags;
  return recurrent;
}

/** What a contender costs: per epoch (fit's set-up), per batch, per step of a batch, per MAC. */
export interface CostModel {
  epochSeconds: number;
  batchSeconds: number;
  stepSeconds: number;
  /** Multiply-adds per second of the products. */
  macsPerSecond: number;
  /** One predict call's set-up. */
  predictCallSeconds: number;
}

/** Python Keras on this machine (see the file's comment). */
export const KERAS_COST: CostModel = {
  epochSeconds: 0.025,
  batchSeconds: 0.001,
  stepSeconds: 50e-6,
  macsPerSecond: 40e9,
  predictCallSeconds: 0.05,
};

/** This package's kernels on this machine. */
export const OURS_COST: CostModel = {
  epochSeconds: 0.005,
  batchSeconds: 0.0002,
  stepSeconds: 2e-6,
  macsPerSecond: 20e9,
  predictCallSeconds: 0.005,
};

/** Estimated seconds of one training epoch of `samples` under `cost`. */
export function epochSecondsOf(point: GridPoint, samples: number, cost: CostModel): number {
  const batches = Math.ceil(samples / point.batch);
  const { steps } = inputShape(point);
  const perBatch = cost.batchSeconds + steps * cost.stepSeconds;
  return (
    cost.epochSeconds +
    batches * perBatch +
    (3 * samples * forwardMacsPerSample(point)) / cost.macsPerSecond
  );
}

/** Estimated seconds of one predict call over `samples` under `cost`. */
export function predictSecondsOf(point: GridPoint, samples: number, cost: CostModel): number {
  const batches = Math.ceil(samples / point.batch);
  const { steps } = inputShape(point);
  const perBatch = cost.batchSeconds + (steps * cost.stepSeconds) / 3;
  return (
    cost.predictCallSeconds +
    batches * perBatch +
    (samples * forwardMacsPerSample(point)) / cost.macsPerSecond
  );
}

/** What the sizing aims at. */
export interface SizingTargets {
  /** The slower contender's epoch should take about this long, in seconds (sets the samples). */
  slowEpochSeconds: number;
  /** ...and at most this long (never less than one batch). */
  maxSlowEpochSeconds: number;
  /** At most this many input numbers (samples x steps x features): they go to Keras as JSON. */
  maxInputNumbers: number;
  /** Each timed training call of the slower contender should take at least this long... */
  slowCallSeconds: number;
  /** ...and of the faster at least this long (a 20 ms call is mostly its start and end)... */
  fastCallSeconds: number;
  /** ...unless the slower's call would then take longer than this (a point's time budget). */
  maxSlowCallSeconds: number;
}

export const DEFAULT_TARGETS: SizingTargets = {
  slowEpochSeconds: 0.4,
  maxSlowEpochSeconds: 1.5,
  maxInputNumbers: 4_000_000,
  slowCallSeconds: 0.5,
  fastCallSeconds: 0.15,
  maxSlowCallSeconds: 2.5,
};

/** A point's data size and how much of it each timed training call runs. */
export interface PointPlan {
  /** Training samples (a whole number of batches); predict runs over the same samples. */
  samples: number;
  /** Epochs of each timed training call (one call per contender per round). */
  epochsPerRound: number;
  /** Timed rounds after the warm-up (the medians are over these). */
  rounds: number;
}

/**
 * Epochs of each timed training call, from one epoch of each contender (measured after the
 * warm-up, or estimated): enough that the slower's call takes `slowCallSeconds` and the
 * faster's `fastCallSeconds`, as long as the slower's stays within `maxSlowCallSeconds`.
 */
export function epochsPerCall(
  epochSeconds: { ours: number; keras: number },
  targets: SizingTargets = DEFAULT_TARGETS,
): number {
  const slow = Math.max(epochSeconds.ours, epochSeconds.keras);
  const fast = Math.min(epochSeconds.ours, epochSeconds.keras);
  if (!(fast > 0) || !Number.isFinite(slow)) return 1;
  const wanted = Math.ceil(
    Math.max(targets.slowCallSeconds / slow, targets.fastCallSeconds / fast),
  );
  const budget = Math.floor(targets.maxSlowCallSeconds / slow);
  return Math.max(1, Math.min(wanted, budget));
}

/** Both contenders' estimated epoch seconds. */
function estimatedEpochs(point: GridPoint, samples: number): { ours: number; keras: number } {
  return {
    ours: epochSecondsOf(point, samples, OURS_COST),
    keras: epochSecondsOf(point, samples, KERAS_COST),
  };
}

/**
 * The plan of `point`: enough whole batches that the slower contender's estimated epoch takes
 * about `slowEpochSeconds`, but at most `maxSlowEpochSeconds` (never less than one batch) and
 * the inputs at most `maxInputNumbers`; the epochs per call from the estimates (the run replaces
 * them with `epochsPerCall` of measured epochs).
 */
export function planPoint(
  point: GridPoint,
  rounds: number,
  targets: SizingTargets = DEFAULT_TARGETS,
): PointPlan {
  const { steps, features } = inputShape(point);
  const slowest = (samples: number): number => {
    const e = estimatedEpochs(point, samples);
    return Math.max(e.ours, e.keras);
  };
  const overhead = slowest(0);
  const perBatch = Math.max(1e-9, slowest(point.batch) - overhead);
  const batchesFor = (seconds: number): number =>
    Math.ceil(Math.max(0, seconds - overhead) / perBatch);
  const byData = Math.floor(targets.maxInputNumbers / (point.batch * steps * features));
  const batches = Math.max(
    1,
    Math.min(batchesFor(targets.slowEpochSeconds), batchesFor(targets.maxSlowEpochSeconds), byData),
  );
  const samples = batches * point.batch;
  return {
    samples,
    epochsPerRound: epochsPerCall(estimatedEpochs(point, samples), targets),
    rounds,
  };
}

/** Seconds a point takes besides its epochs: Keras's model build and tracing, the idle waits. */
const POINT_SETUP_SECONDS = 2.5;
const IDLE_WAIT_SECONDS = 0.15;

/**
 * Estimated wall time of a point: set-up, the warm-up epoch and predict and the measuring epoch
 * of both contenders, then its rounds (each contender's training call and predict, with an idle
 * wait before each).
 */
export function pointSecondsOf(point: GridPoint, plan: PointPlan): number {
  const each = (cost: CostModel): { epoch: number; predict: number } => ({
    epoch: epochSecondsOf(point, plan.samples, cost),
    predict: predictSecondsOf(point, plan.samples, cost),
  });
  const keras = each(KERAS_COST);
  const ours = each(OURS_COST);
  const warmUp =
    2 * (keras.epoch + ours.epoch) + keras.predict + ours.predict + 6 * IDLE_WAIT_SECONDS;
  const round =
    plan.epochsPerRound * (keras.epoch + ours.epoch) +
    keras.predict +
    ours.predict +
    4 * IDLE_WAIT_SECONDS;
  return POINT_SETUP_SECONDS + warmUp + plan.rounds * round;
}
