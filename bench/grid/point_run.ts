/**
 * One grid point, timed: both sides set up on the same data, a warm-up epoch and predict each
 * (tracing, kernel compilation, optimizer slots: not in the medians), one more epoch each that
 * sets the epochs of a timed call (bench/grid/sizing.ts's `epochsPerCall`), then rounds that
 * alternate them (ours first in even rounds, Keras first in odd ones), with a wait until every
 * benchmark process is idle before each timed call (bench/quiet.ts).
 */
import type { BenchArrays } from '../data';
import { kerasRound, rate, sum } from '../keras_round';
import { errorMessage } from '../protocol';
import type { QuietResult } from '../quiet';
import { type ContenderResult, type Round, emptyContender } from '../report';
import type { KerasSetup, KerasWorker } from '../workers';
import { gridArrays } from './data';
import { OursPoint } from './ours';
import { type GridPoint, kerasModelName } from './points';
import { type PointResult, completePoint } from './results';
import { type PointPlan, epochsPerCall } from './sizing';

/** What a point needs from the run. */
export interface PointContext {
  keras: KerasWorker;
  /** Waits until every benchmark process is idle. */
  untilIdle(): Promise<QuietResult>;
  requestTimeoutMs: number;
  /** A line of progress. */
  log(line: string): void;
  /** Called with what the Keras worker answered to each set-up (its versions). */
  onKerasSetup(setup: KerasSetup): void;
}

/**
 * The Keras worker's handle of the point's model. One handle for every point: setting up the
 * next point replaces the last model, so the worker's memory does not grow with the grid.
 */
const KERAS_KEY = 'grid';

/** Forces a full garbage collection when Node runs with --expose-gc (bench:grid does). */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
}

async function oursRound(ctx: PointContext, ours: OursPoint, plan: PointPlan): Promise<Round> {
  const beforeTrain = await ctx.untilIdle();
  const train = await ours.train(plan.epochsPerRound);
  const beforePredict = await ctx.untilIdle();
  const predictSeconds = await ours.predict();
  return {
    idleWaits: [beforeTrain, beforePredict],
    trainSamplesPerSecond: rate(plan.samples * train.epochSeconds.length, sum(train.epochSeconds)),
    predictSamplesPerSecond: rate(plan.samples, predictSeconds),
    fitSeconds: train.seconds,
    epochSeconds: train.epochSeconds,
    tensorsAfterEpoch: train.tensorsAfterEpoch,
    loss: train.loss,
  };
}

function kerasRoundOf(ctx: PointContext, plan: PointPlan): Promise<Round> {
  return kerasRound({
    keras: ctx.keras,
    key: KERAS_KEY,
    samples: plan.samples,
    epochs: plan.epochsPerRound,
    timeoutMs: ctx.requestTimeoutMs,
    untilIdle: () => ctx.untilIdle(),
  });
}

/** Runs `step`, recording its error on `c` (then the contender runs no more). */
async function attempt(c: ContenderResult, what: string, step: () => Promise<void>): Promise<void> {
  if (c.error !== null) return;
  try {
    await step();
  } catch (err) {
    c.error = `${what}: ${errorMessage(err)}`;
  }
}

/** Builds our side of the point, or records why it could not be built. */
function buildOurs(c: ContenderResult, point: GridPoint, data: BenchArrays): OursPoint | null {
  try {
    return OursPoint.build(point, data);
  } catch (err) {
    c.error = `setup: ${errorMessage(err)}`;
    return null;
  }
}

const fmtSeconds = (s: number | null): string => (s === null ? '-' : `${s.toFixed(3)} s`);

/**
 * Times `point` with `plan`, whose epochs per call the measuring epochs replace; a side that
 * fails is reported in its result, never thrown.
 */
export async function runPoint(
  ctx: PointContext,
  point: GridPoint,
  plan: PointPlan,
  estimatedSeconds: number,
): Promise<PointResult> {
  const started = performance.now();
  const ours = emptyContender();
  const keras = emptyContender();
  const params: PointResult['params'] = { ours: null, keras: null };
  const measuringEpochSeconds: PointResult['measuringEpochSeconds'] = { ours: null, keras: null };
  // The plan with the epochs per call that the measuring epochs give.
  const timed: PointPlan = { ...plan };
  const data = gridArrays(point, plan.samples);
  await attempt(keras, 'setup', async () => {
    const { keras: worker, requestTimeoutMs } = ctx;
    const name = kerasModelName(point);
    const setup = await worker.setup(KERAS_KEY, name, data, point.batch, requestTimeoutMs);
    ctx.onKerasSetup(setup);
    params.keras = setup.params;
  });
  const model = buildOurs(ours, point, data);
  try {
    params.ours = model?.params ?? null;
    // The data's JSON for Keras and the last point's garbage, collected before anything is timed.
    collectGarbage();
    await attempt(keras, 'first epoch', async () => {
      await ctx.untilIdle();
      keras.firstEpochSeconds = (await ctx.keras.train(KERAS_KEY, 1, ctx.requestTimeoutMs)).seconds;
      await ctx.untilIdle();
      keras.firstPredictSeconds = (
        await ctx.keras.predict(KERAS_KEY, ctx.requestTimeoutMs)
      ).seconds;
    });
    if (model !== null) {
      await attempt(ours, 'first epoch', async () => {
        await ctx.untilIdle();
        const first = await model.train(1);
        ours.firstEpochSeconds = first.seconds;
        ours.tensorsAfterFirstEpoch = first.tensorsAfterEpoch;
        await ctx.untilIdle();
        ours.firstPredictSeconds = await model.predict();
      });
    }
    // One more epoch each, untimed in the medians: how many epochs a timed call runs.
    await attempt(keras, 'measuring epoch', async () => {
      await ctx.untilIdle();
      const train = await ctx.keras.train(KERAS_KEY, 1, ctx.requestTimeoutMs);
      measuringEpochSeconds.keras = train.epoch_seconds[0] ?? null;
    });
    if (model !== null) {
      await attempt(ours, 'measuring epoch', async () => {
        await ctx.untilIdle();
        measuringEpochSeconds.ours = (await model.train(1)).epochSeconds[0] ?? null;
      });
    }
    const { ours: oursEpoch, keras: kerasEpoch } = measuringEpochSeconds;
    if (oursEpoch !== null && kerasEpoch !== null) {
      timed.epochsPerRound = epochsPerCall({ ours: oursEpoch, keras: kerasEpoch });
    }
    ctx.log(
      `  ${timed.samples} samples; one epoch: ours ${fmtSeconds(oursEpoch)}, Keras ${fmtSeconds(kerasEpoch)}; ${timed.epochsPerRound} a timed call`,
    );
    for (let r = 0; r < timed.rounds; r++) {
      // Ours first in even rounds, Keras first in odd ones.
      const order = r % 2 === 0 ? (['ours', 'keras'] as const) : (['keras', 'ours'] as const);
      for (const side of order) {
        if (side === 'ours' && model !== null) {
          await attempt(ours, `round ${r + 1}`, async () => {
            ours.rounds.push(await oursRound(ctx, model, timed));
          });
        } else if (side === 'keras') {
          await attempt(keras, `round ${r + 1}`, async () => {
            keras.rounds.push(await kerasRoundOf(ctx, timed));
          });
        }
      }
    }
  } finally {
    model?.dispose();
  }
  return completePoint({
    point,
    plan: timed,
    estimatedSeconds,
    measuringEpochSeconds,
    seconds: (performance.now() - started) / 1000,
    params,
    ours,
    keras,
  });
}
