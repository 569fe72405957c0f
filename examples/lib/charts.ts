/**
 * The sp500 example's figures as Vega-Lite specs, rendered headless: Vega-Lite compiles a spec to
 * Vega, a Vega `View` with no renderer draws it to SVG, and resvg turns the SVG into a PNG.
 */
import { Resvg } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';

/** One point of a line chart: `x` (a date string or a number), `y`, and the line it belongs to. */
export interface ChartPoint {
  x: string | number;
  y: number;
  series: string;
  /** A second grouping drawn as the line's dash (see LineChartOptions.dashes). Default: none. */
  dash?: string;
}

const WIDTH = 720;
const HEIGHT = 320;

/** Predicted against actual prices over the test days, one line each. */
export function pricesChart(
  dates: readonly string[],
  actual: readonly number[],
  predicted: readonly number[],
  title: string,
): TopLevelSpec {
  const points: ChartPoint[] = [];
  dates.forEach((date, i) => {
    points.push({ x: date, y: actual[i] ?? Number.NaN, series: 'actual' });
    points.push({ x: date, y: predicted[i] ?? Number.NaN, series: 'predicted' });
  });
  return lineChart(points, {
    title,
    x: { title: 'date', type: 'temporal' },
    y: { title: 'open (USD)', zero: false },
    colors: { actual: '#d62728', predicted: '#1f77b4' },
  });
}

/** Training and validation loss per epoch, as Keras's `history.history` holds them ([] for none). */
export function lossChart(
  loss: readonly number[],
  valLoss: readonly number[],
  title: string,
): TopLevelSpec {
  const points: ChartPoint[] = loss.map((y, i) => ({ x: i + 1, y, series: 'training loss' }));
  valLoss.forEach((y, i) => points.push({ x: i + 1, y, series: 'validation loss' }));
  return lineChart(points, {
    title,
    x: { title: 'epoch', type: 'quantitative' },
    // A log scale: the first epoch's loss would flatten every later one on a linear axis.
    y: { title: 'mean squared error (scaled prices, log scale)', zero: false, log: true },
    colors: { 'training loss': '#1f77b4', 'validation loss': '#ff7f0e' },
    points: loss.length <= 60,
  });
}

/** The look of a line chart: titles, scales, one color per series (its legend order). */
export interface LineChartOptions {
  title: string;
  x: { title: string; type: 'temporal' | 'quantitative' };
  y: { title: string; zero: boolean; log?: boolean };
  colors: Readonly<Record<string, string>>;
  points?: boolean;
  /** Size of the plot area in pixels. Default: 720 x 320. */
  width?: number;
  height?: number;
  /** Where the legend goes. Default: 'top-left' (inside the plot). */
  legend?: 'top-left' | 'right' | 'bottom';
  /** The points' `dash` values in legend order: the first solid, the next dashed, dotted... Default: none. */
  dashes?: readonly string[];
}

const DASH_STYLES = [
  [1, 0],
  [6, 3],
  [2, 2],
  [8, 3, 2, 3],
];

/** A chart that can sit inside another (a panel of a `vconcat`), as Vega-Lite types it. */
export type ChartPanel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];

/** A whole chart: `panel` with the page's schema, white background and font. */
export function topLevel(panel: ChartPanel): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: { font: 'sans-serif' },
    ...panel,
    // A panel plus top-level properties is a top-level spec of the panel's kind; TypeScript
    // cannot follow a spread of the union to that.
  } as TopLevelSpec;
}

/** Panels one above the other under one title, each with its own scales and legend. */
export function stackedPanels(title: string, panels: ChartPanel[]): TopLevelSpec {
  return topLevel({
    title,
    vconcat: panels,
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  });
}

/** Lines of `values`, one per series, as a whole chart. */
export function lineChart(values: ChartPoint[], options: LineChartOptions): TopLevelSpec {
  return topLevel(linePanel(values, options));
}

/** Lines of `values`, one per series, as a panel for `stackedPanels`. */
export function linePanel(values: ChartPoint[], options: LineChartOptions): ChartPanel {
  return {
    title: options.title,
    width: options.width ?? WIDTH,
    height: options.height ?? HEIGHT,
    data: { values },
    mark: { type: 'line', point: options.points ?? false, strokeWidth: 1.5 },
    encoding: {
      x: {
        field: 'x',
        type: options.x.type,
        title: options.x.title,
        // Whole epochs on the epoch axis; month and year on the date axis.
        axis:
          options.x.type === 'quantitative'
            ? { tickMinStep: 1, format: 'd' }
            : { format: '%b %Y', labelAngle: 0 },
        scale: { nice: false },
      },
      y: {
        field: 'y',
        type: 'quantitative',
        title: options.y.title,
        scale: options.y.log === true ? { type: 'log' } : { zero: options.y.zero },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: Object.keys(options.colors), range: Object.values(options.colors) },
        legend: { orient: options.legend ?? 'top-left', labelLimit: 0 },
      },
      ...(options.dashes === undefined
        ? {}
        : {
            strokeDash: {
              field: 'dash',
              type: 'nominal',
              title: null,
              scale: {
                domain: [...options.dashes],
                range: options.dashes.map((_, i) => DASH_STYLES[i % DASH_STYLES.length] ?? [1, 0]),
              },
              legend: { orient: options.legend ?? 'top-left', labelLimit: 0 },
            },
          }),
    },
  };
}

/** A chart as SVG text and as PNG bytes (`zoom` times the SVG's size, white background). */
export interface RenderedChart {
  svg: string;
  png: Uint8Array;
}

/**
 * Compiles a Vega-Lite spec and renders it headless to SVG and PNG; the PNG is `zoom` times
 * the SVG's size. Default: 2.
 */
export async function renderChart(spec: TopLevelSpec, zoom = 2): Promise<RenderedChart> {
  // vega and vega-lite are ES modules; import() loads them from this CommonJS module.
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: zoom },
      font: {
        loadSystemFonts: true,
        defaultFontFamily: 'DejaVu Sans',
        sansSerifFamily: 'DejaVu Sans',
      },
    })
      .render()
      .asPng();
    return { svg, png };
  } finally {
    view.finalize();
  }
}
