/**
 * `npm run bench:grid`: this package against Python Keras over a grid of recurrent models (cell
 * kind x units x batch x steps x features, and two models of their own shape), training and
 * predicting in alternating rounds. See `npm run bench:grid -- --help`, bench/grid/points.ts for
 * the points and docs/performance.md ("The grid") for how to read the results.
 *
 * Ours runs in this process on the best backend (`useBackend('auto')`), Keras in its worker
 * (bench/keras_bench.py --serve, the same one `npm run bench` uses); before every timed call
 * both processes must be idle (bench/quiet.ts). After each point the results so far are written
 * to bench/grid.json; at the end, the heat map beside it (grid.svg, grid.png).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { kernelInfo, useBackend } from '../../src/index';
import { optionsOrExitCode } from '../command_line';
import { formattedJson } from '../json_file';
import { runMain } from '../main';
import { errorMessage } from '../protocol';
import { commandLine, gitState, machine } from '../provenance';
import { waitUntilQuiet } from '../quiet';
import { type KerasSetup, KerasWorker, ROOT } from '../workers';
import { writeHeatmap } from './heatmap';
import {
  GRID_USAGE,
  type GridOptions,
  parseGridOptions,
  pictureFiles,
  selectPoints,
} from './options';
import { type PointContext, runPoint } from './point_run';
import { pointLabel } from './points';
import {
  type GridResults,
  type PointResult,
  formatGrid,
  formatPlan,
  summarizeGrid,
} from './results';
import { planPoint, pointSecondsOf } from './sizing';

const began = performance.now();
const log = (line: string): void => {
  const seconds = ((performance.now() - began) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`${seconds}s ${line}\n`);
};
const load = (): number[] => os.loadavg().map((v) => Math.round(v * 100) / 100);
const relative = (file: string): string => path.relative(process.cwd(), file) || file;

/** The points of the run with their plans and estimated seconds. */
function plannedPoints(options: GridOptions) {
  return selectPoints(options).map((point) => {
    const plan = planPoint(point, options.rounds);
    return { point, plan, estimatedSeconds: pointSecondsOf(point, plan) };
  });
}

/** A point's line of progress: both sides' training samples/s and the ratios. */
function progressLine(index: number, total: number, p: PointResult): string {
  const rate = (median: number | undefined): string =>
    median === undefined ? '-' : `${Math.round(median)}/s`;
  const ratio = (v: number | null | undefined): string => (v == null ? '-' : `${v.toFixed(2)}x`);
  const errors = [p.ours.error, p.keras.error].filter((e) => e !== null);
  return `[${index + 1}/${total}] ${p.label}: ours ${rate(p.ours.train?.median)}, Keras ${rate(p.keras.train?.median)}; train ${ratio(p.ratio?.train)}, predict ${ratio(p.ratio?.predict)} (${p.seconds.toFixed(0)} s)${errors.length > 0 ? ` FAILED: ${errors.join('; ')}` : ''}`;
}

/** Draws the heat map of the results in `out` again and prints their table. */
async function redraw(out: string): Promise<number> {
  const results = JSON.parse(readFileSync(out, 'utf8')) as GridResults;
  const files = pictureFiles(out);
  await writeHeatmap(results, files);
  log(`heat map written to ${relative(files.svg)} and ${relative(files.png)}`);
  process.stdout.write(`${formatGrid(results)}\n`);
  return 0;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const options = optionsOrExitCode('bench:grid', GRID_USAGE, () => parseGridOptions(argv, ROOT));
  if (typeof options === 'number') return options;
  const grid = options.full ? 'full' : 'reduced';
  const planned = plannedPoints(options);
  const estimatedSeconds = planned.reduce((s, p) => s + p.estimatedSeconds, 0);
  if (options.planOnly) {
    process.stdout.write(`${formatPlan(planned, grid)}\n`);
    return 0;
  }
  if (options.redraw) return redraw(options.out);
  log(
    `${grid} grid: ${planned.length} points, ${options.rounds} rounds each; expected ~${(estimatedSeconds / 60).toFixed(0)} min`,
  );
  const startLoad = load();
  log('starting the Keras worker (imports TensorFlow)...');
  const kerasStarting = KerasWorker.start(3 * 60 * 1000);
  const backend = await useBackend('auto');
  let keras: KerasWorker;
  try {
    keras = await kerasStarting;
  } catch (err) {
    process.stderr.write(`bench:grid: Python Keras did not start: ${errorMessage(err)}\n`);
    return 1;
  }
  log(`ours on ${backend} (${JSON.stringify(kernelInfo())}); Keras worker ready`);
  let kerasInfo: KerasSetup | null = null;
  const pids = [process.pid, ...(keras.pid === undefined ? [] : [keras.pid])];
  const context: PointContext = {
    keras,
    untilIdle: () => waitUntilQuiet(pids),
    requestTimeoutMs: options.requestTimeoutMs,
    log,
    onKerasSetup: (setup) => {
      kerasInfo ??= setup;
    },
  };
  const points: PointResult[] = [];
  const results = (kerasRss: number | null): GridResults => ({
    date: new Date().toISOString(),
    command: commandLine('bench:grid', 'bench/grid/run.ts', argv),
    machine: machine(),
    node: process.version,
    tfjs: tf.version.tfjs,
    backend,
    kernels: kernelInfo(),
    git: gitState(),
    keras:
      kerasInfo === null
        ? null
        : {
            python: path.relative(ROOT, keras.python) || keras.python,
            keras: kerasInfo.keras,
            tensorflow: kerasInfo.tensorflow,
            maxRssBytes: kerasRss,
          },
    grid,
    rounds: options.rounds,
    estimatedSeconds,
    durationSeconds: (performance.now() - began) / 1000,
    load: { start: startLoad, end: load() },
    summary: summarizeGrid(points),
    points,
  });
  let kerasRss: number | null = null;
  try {
    for (const [i, { point, plan, estimatedSeconds: estimate }] of planned.entries()) {
      log(`[${i + 1}/${planned.length}] ${pointLabel(point)}...`);
      const result = await runPoint(context, point, plan, estimate);
      points.push(result);
      log(progressLine(i, planned.length, result));
      writeFileSync(options.out, await formattedJson(results(null), options.out));
    }
  } finally {
    try {
      kerasRss = (await keras.memory(30_000)).max_rss_bytes;
    } catch {
      kerasRss = null;
    }
    await keras.close();
  }
  const final = results(kerasRss);
  writeFileSync(options.out, await formattedJson(final, options.out));
  log(`results written to ${relative(options.out)}`);
  if (final.summary.points > 0) {
    const files = pictureFiles(options.out);
    await writeHeatmap(final, files);
    log(`heat map written to ${relative(files.svg)} and ${relative(files.png)}`);
  }
  process.stdout.write(`\n${formatGrid(final)}\n`);
  return final.summary.failed.length === 0 ? 0 : 1;
}

runMain('bench:grid', main);
