/**
 * Pictures of the course's last two ideas: how the gradient flows back through time
 * (`gradientFlow`: ‖dL/dh_t‖ per step, a line per layer) and what each h_t holds (`stepStates`:
 * a heat map of steps × units). Vega-Lite specs rendered by charts.ts, written as SVG and PNG.
 */
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { GradientFlow, StepStates } from 'tfjs-keras-rnn';
import {
  type ChartPanel,
  type ChartPoint,
  linePanel,
  renderChart,
  stackedPanels,
  topLevel,
} from './charts';
import { ensureDir, writeFileAtomic } from './files';

/**
 * A gradient flow with the name it has in the legend ("LSTM(16)", "relu + clipnorm 1") and,
 * optionally, a stage ("at initialization", "trained"): flows of one label share a color and
 * each stage has its own dash.
 */
export interface LabelledFlow {
  label: string;
  flow: GradientFlow;
  /** Drawn as the line's dash, in order of first appearance (the first solid). Default: none. */
  stage?: string;
}

/** A series of per-epoch training losses with its legend name. */
export interface LabelledLoss {
  label: string;
  loss: readonly number[];
}

/** Options of `plotGradientFlow`. */
export interface GradientFlowChartOptions {
  /** The chart's title. Default: 'How the gradient flows back through time'. */
  title?: string;
  /** Also draw each LSTM layer's ‖dL/dc_t‖ (its `cellNorms`). Default: false. */
  cells?: boolean;
  /** Training losses per epoch, drawn in a second panel below the flow. Default: none. */
  losses?: readonly LabelledLoss[];
}

/** Options of `plotStepStates`. */
export interface StepStatesChartOptions {
  /** Which sample's states to draw. Default: 0. */
  sample?: number;
  /** The chart's title. Default: 'h_t of sample <sample>'. */
  title?: string;
}

/** The two files a chart is written to. */
export interface ChartFiles {
  svg: string;
  png: string;
}

// Tableau 10: distinct colors for up to ten lines, then again from the first.
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/**
 * Draws ‖dL/dh_t‖ against the time step t (1-based, h_1 .. h_T as the course writes them) on a
 * log scale: one line per layer of each flow, named by its label and layer. A log scale cannot
 * show zero, negative, NaN or infinite norms (a diverged model's), so those points are left out
 * of the lines and the chart's subtitle says how many were. With `losses`, a second panel shows
 * the training loss per epoch (log scale, the same rule). Writes `<file>.svg` and `<file>.png`
 * (a .svg or .png extension in `file` is dropped), creating the folder, and returns both paths.
 */
export async function plotGradientFlow(
  flows: GradientFlow | readonly LabelledFlow[],
  file: string,
  options: GradientFlowChartOptions = {},
): Promise<ChartFiles> {
  const labelled: readonly LabelledFlow[] = Array.isArray(flows)
    ? flows
    : [{ label: '', flow: flows as GradientFlow }];
  if (labelled.length === 0) {
    throw new Error('plotGradientFlow: expected at least one gradient flow, received none.');
  }
  const oneLayerEach = labelled.every(({ flow }) => flow.layers.length === 1);
  const points: ChartPoint[] = [];
  let dropped = 0;
  const add = (series: string, stage: string | undefined, norms: readonly number[]): void => {
    norms.forEach((norm, i) => {
      if (!Number.isFinite(norm) || norm <= 0) dropped++;
      else
        points.push({ x: i + 1, y: norm, series, ...(stage === undefined ? {} : { dash: stage }) });
    });
  };
  for (const { label, flow, stage } of labelled) {
    for (const layer of flow.layers) {
      const name = seriesName(label, layer.layer, oneLayerEach);
      add(name, stage, layer.stepNorms);
      if (options.cells === true && layer.cellNorms !== undefined) {
        add(`${name} (cell state c)`, stage, layer.cellNorms);
      }
    }
  }
  const stages = [
    ...new Set(labelled.flatMap(({ stage }) => (stage === undefined ? [] : [stage]))),
  ];
  const title = options.title ?? 'How the gradient flows back through time';
  const note = dropped > 0 ? `${dropped} zero or non-finite norms left out (log scale)` : '';
  const flowPanel = linePanel(points, {
    title: '',
    x: { title: 'time step t', type: 'quantitative' },
    y: { title: '‖dL/dh_t‖ (log scale)', zero: false, log: true },
    colors: colorsOf(points),
    points: maxStep(points) <= 12,
    legend: 'right',
    ...(stages.length > 0 ? { dashes: stages } : {}),
  });
  if (options.losses === undefined || options.losses.length === 0) {
    return writeChart(topLevel({ ...flowPanel, title: { text: title, subtitle: note } }), file);
  }
  const panels = [{ ...flowPanel, title: note === '' ? 'Gradient norm per step' : note }];
  return writeChart(stackedPanels(title, [...panels, lossPanel(options.losses)]), file);
}

/**
 * Draws one sample's h_t as a heat map, time steps across and units down, one panel per layer,
 * on a diverging scale centred at 0: blue below, red above, white at 0. The scale runs over
 * -1..1 (tanh's range) or wider when a state is larger (relu). Reads only that sample from the
 * tensors and frees what it makes; `states` stay the caller's. Writes `<file>.svg` and
 * `<file>.png` as `plotGradientFlow` does and returns both paths.
 */
export async function plotStepStates(
  states: StepStates,
  file: string,
  options: StepStatesChartOptions = {},
): Promise<ChartFiles> {
  const sample = options.sample ?? 0;
  const panels = states.layers.map(({ layer, h }) => {
    const [samples, steps, units] = h.shape;
    if (!Number.isInteger(sample) || sample < 0 || sample >= samples) {
      throw new Error(
        `plotStepStates: expected a sample index from 0 to ${samples - 1}, received ${sample}.`,
      );
    }
    const rows = tf.tidy(() => h.slice([sample, 0, 0], [1, steps, units]).reshape([steps, units]));
    const values = rows.arraySync() as number[][];
    rows.dispose();
    return heatPanel(layer, values, units);
  });
  if (panels.length === 0) {
    throw new Error('plotStepStates: expected states of at least one layer, received none.');
  }
  const title = options.title ?? `h_t of sample ${sample}`;
  const [first] = panels;
  const spec = panels.length === 1 ? topLevel({ ...first, title }) : stackedPanels(title, panels);
  return writeChart(spec, file);
}

function seriesName(label: string, layer: string, oneLayerEach: boolean): string {
  if (label === '') return layer;
  return oneLayerEach ? label : `${label}: ${layer}`;
}

function colorsOf(points: readonly ChartPoint[]): Record<string, string> {
  const colors: Record<string, string> = {};
  for (const { series } of points) {
    if (!Object.hasOwn(colors, series)) {
      colors[series] = PALETTE[Object.keys(colors).length % PALETTE.length] ?? '#000000';
    }
  }
  return colors;
}

function maxStep(points: readonly ChartPoint[]): number {
  return points.reduce((m, p) => Math.max(m, typeof p.x === 'number' ? p.x : 0), 0);
}

function lossPanel(losses: readonly LabelledLoss[]): ChartPanel {
  const points: ChartPoint[] = [];
  let dropped = 0;
  for (const { label, loss } of losses) {
    loss.forEach((y, i) => {
      if (Number.isFinite(y) && y > 0) points.push({ x: i + 1, y, series: label });
      else dropped++;
    });
  }
  return linePanel(points, {
    title:
      dropped > 0 ? `Training loss (${dropped} NaN or infinite epochs left out)` : 'Training loss',
    x: { title: 'epoch', type: 'quantitative' },
    y: { title: 'loss (log scale)', zero: false, log: true },
    colors: colorsOf(points),
    points: maxStep(points) <= 30,
    height: 200,
    legend: 'right',
  });
}

function heatPanel(
  layer: string,
  values: readonly (readonly number[])[],
  units: number,
): ChartPanel {
  const cells: { t: number; unit: number; h: number }[] = [];
  let largest = 1;
  values.forEach((row, t) => {
    row.forEach((h, unit) => {
      cells.push({ t: t + 1, unit: unit + 1, h });
      if (Number.isFinite(h)) largest = Math.max(largest, Math.abs(h));
    });
  });
  const steps = values.length;
  // Every step's label up to 20 steps; beyond, step 1 and every tenth.
  const ticks =
    steps <= 20
      ? undefined
      : [1, ...Array.from({ length: Math.floor(steps / 10) }, (_, i) => (i + 1) * 10)];
  return {
    title: layer,
    width: Math.min(720, Math.max(160, steps * 16)),
    height: Math.min(480, Math.max(60, units * 12)),
    data: { values: cells },
    mark: 'rect',
    encoding: {
      x: {
        field: 't',
        type: 'ordinal',
        title: 'time step t',
        axis: { labelAngle: 0, ...(ticks === undefined ? {} : { values: ticks }) },
      },
      y: {
        field: 'unit',
        type: 'ordinal',
        title: 'unit',
        axis: units > 24 ? { labels: false } : {},
      },
      color: {
        field: 'h',
        type: 'quantitative',
        title: 'h_t',
        scale: { scheme: 'redblue', reverse: true, domain: [-largest, largest], domainMid: 0 },
      },
    },
  };
}

async function writeChart(
  spec: Parameters<typeof renderChart>[0],
  file: string,
): Promise<ChartFiles> {
  const base = file.replace(/\.(svg|png)$/i, '');
  const chart = await renderChart(spec);
  ensureDir(dirname(base));
  return {
    svg: writeFileAtomic(`${base}.svg`, chart.svg),
    png: writeFileAtomic(`${base}.png`, chart.png),
  };
}
