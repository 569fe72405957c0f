/**
 * The grid's picture: a heat map of the training ratio (ours / Keras) of every point, rows cell
 * x units, columns batch x steps x features, the ratio printed in each cell, and below it the
 * two models of their own shape. A diverging colour scale on a log axis centred at 1 (red:
 * Keras is faster, blue: this package is), symmetric so that 2x and 0.5x are equally strong.
 * Rendered by examples/lib/charts.ts (Vega-Lite -> SVG -> PNG).
 */
import { writeFileSync } from 'node:fs';
import type { TopLevelSpec } from 'vega-lite';
import { type ChartPanel, renderChart, topLevel } from '../../examples/lib/charts';
import { CELL_KINDS, columnLabel, type GridPoint, rowLabel } from './points';
import type { GridResults, PointResult } from './results';

/** One cell of the heat map. */
export interface HeatCell {
  row: string;
  column: string;
  /** ours / Keras, training samples/s. */
  ratio: number;
  /** The number printed in the cell: `1.23`. */
  text: string;
  /** Whether the colour behind the text is dark (the text is then white). */
  dark: boolean;
}

const MIN_EXTENT = 2;
const MAX_EXTENT = 4;

/**
 * The colour scale's reach: it spans [1/extent, extent], the farthest ratio from 1 but within
 * [2, 4], so that 0.8x and 1.25x stay visibly tinted beside a 20x point (beyond the extent the
 * colour saturates; the printed number tells).
 */
export function colourExtent(ratios: readonly number[]): number {
  const farthest = ratios.filter((r) => Number.isFinite(r) && r > 0).map((r) => Math.max(r, 1 / r));
  return Math.min(MAX_EXTENT, Math.max(MIN_EXTENT, ...farthest));
}

/** Rows in the grid's order: by cell kind, then units; then any other rows as they come. */
function rowOrder(points: readonly GridPoint[]): string[] {
  const sorted = [...points].sort((a, b) => rowKey(a) - rowKey(b));
  return [...new Set(sorted.map(rowLabel))];
}

function rowKey(point: GridPoint): number {
  if (point.kind !== 'cell') return Number.MAX_SAFE_INTEGER;
  return CELL_KINDS.indexOf(point.cell) * 1e6 + point.units;
}

/** Columns by batch, then steps, then features. */
function columnOrder(points: readonly GridPoint[]): string[] {
  const key = (p: GridPoint): number =>
    p.kind === 'cell' ? p.batch * 1e6 + p.steps * 1e3 + p.features : p.batch * 1e6;
  return [...new Set([...points].sort((a, b) => key(a) - key(b)).map(columnLabel))];
}

/** The cells of the points that have a training ratio. */
export function heatCells(points: readonly PointResult[], extent: number): HeatCell[] {
  return points.flatMap((p) => {
    const ratio = p.ratio?.train;
    if (ratio == null || !Number.isFinite(ratio)) return [];
    return [
      {
        row: rowLabel(p.point),
        column: columnLabel(p.point),
        ratio,
        text: ratio.toFixed(2),
        // Past ~55% of the way to either end the scheme's colours are dark.
        dark: Math.abs(Math.log(ratio)) > 0.55 * Math.log(extent),
      },
    ];
  });
}

/** The second panel's title: the two models' layers. */
const EXTRAS_TITLE = [
  'embedding-classifier: 80 ids -> Embedding(2000, 64) -> SimpleRNN(128) -> Dense(4)',
  'tagger: 30x8 -> SimpleRNN(64, seq) -> Dense(8) at each step',
];

const CELL_WIDTH = 64;
const CELL_HEIGHT = 24;

/** One heat map panel of `points`, on the shared colour scale. */
function panel(
  points: readonly PointResult[],
  title: string | string[],
  extent: number,
): ChartPanel {
  const gridPoints = points.map((p) => p.point);
  const rows = rowOrder(gridPoints);
  const columns = columnOrder(gridPoints);
  const colour = {
    field: 'ratio',
    type: 'quantitative',
    title: 'ours / Keras',
    scale: {
      type: 'log',
      domain: [1 / extent, extent],
      domainMid: 1,
      scheme: 'redblue',
      clamp: true,
    },
    legend: { format: '.2~f', values: legendValues(extent), gradientLength: 160 },
  } as const;
  return {
    title: { text: title, fontSize: 11, fontWeight: 'normal' },
    width: CELL_WIDTH * columns.length,
    height: CELL_HEIGHT * rows.length,
    data: { values: heatCells(points, extent) },
    encoding: {
      x: {
        field: 'column',
        type: 'nominal',
        sort: columns,
        title: null,
        // `batch 64 · 100x32` on two lines: `batch 64` above `100x32`.
        axis: {
          orient: 'bottom',
          labelAngle: 0,
          labelExpr: "split(datum.label, ' · ')",
          labelFontSize: 10,
          ticks: false,
          domain: false,
        },
      },
      y: {
        field: 'row',
        type: 'nominal',
        sort: rows,
        title: null,
        axis: { labelFontSize: 11, ticks: false, domain: false },
      },
    },
    layer: [
      { mark: { type: 'rect', stroke: 'white', strokeWidth: 1 }, encoding: { color: colour } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'text', type: 'nominal' },
          color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** Ticks of the legend: powers of two within the extent, and 1. */
function legendValues(extent: number): number[] {
  const values = [1];
  for (let v = 2; v <= extent * 1.0001; v *= 2) values.push(v, 1 / v);
  return values.sort((a, b) => a - b);
}

/** The heat map of a run's training ratios. */
export function heatmapSpec(r: GridResults): TopLevelSpec {
  const cells = r.points.filter((p) => p.point.kind === 'cell');
  const extras = r.points.filter((p) => p.point.kind !== 'cell');
  const extent = colourExtent(
    r.points.flatMap((p) => (p.ratio?.train == null ? [] : [p.ratio.train])),
  );
  const median = r.summary.train?.median;
  const panels: ChartPanel[] = [
    panel(cells, '[steps x features] -> cell(units) -> Dense(1), MSE, Adam', extent),
    ...(extras.length > 0 ? [panel(extras, EXTRAS_TITLE, extent)] : []),
  ];
  const spec = topLevel({
    title: {
      text: 'Training samples/s, this package / Python Keras',
      subtitle: [
        `above 1: this package is faster · median over the points ${median == null ? '-' : `${median.toFixed(2)}x`}`,
        `${r.date.slice(0, 10)} · ${r.machine.cpu} (${r.machine.cores} vCPUs) · tfjs ${r.tfjs} on ${r.backend} · Keras ${r.keras?.keras ?? '-'} on TensorFlow ${r.keras?.tensorflow ?? '-'}`,
        `npm run bench:grid${r.grid === 'full' ? ' -- --full' : ''}: medians of ${r.rounds} alternating rounds`,
      ],
    },
    vconcat: panels,
    spacing: 18,
    resolve: { scale: { color: 'shared', x: 'independent', y: 'independent' } },
  });
  // No frame around the panels (the cells' white borders are the grid); titles on the left.
  return {
    ...spec,
    config: { ...spec.config, view: { stroke: null }, title: { anchor: 'start' } },
  };
}

/** The PNG's size against the SVG's: sharp on a wide screen, ~100 KB for the reduced grid. */
const PNG_ZOOM = 1.5;

/** Renders the heat map to `svg` and `png`. */
export async function writeHeatmap(
  r: GridResults,
  files: { svg: string; png: string },
): Promise<void> {
  const { svg, png } = await renderChart(heatmapSpec(r), PNG_ZOOM);
  writeFileSync(files.svg, svg);
  writeFileSync(files.png, png);
}
